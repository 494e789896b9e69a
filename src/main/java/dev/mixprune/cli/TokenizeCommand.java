package dev.mixprune.cli;

import dev.mixprune.data.Corpus;
import dev.mixprune.data.DocumentSplit;
import dev.mixprune.io.TokenizerFiles;
import dev.mixprune.tokenizer.ByteLevelBpeTokenizer;
import dev.mixprune.tokenizer.SpecialTokens;
import dev.mixprune.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * Tokenizes a text file document by document (documents as protocols.md P splits them: *.raw is
 * one document, other files blank-line separated paragraphs, stripped, non-empty). Ids come without
 * special tokens; {@code --bos} puts the tokenizer's BOS in front of each document when it has one.
 */
@Command(name = "tokenize",
        description = "Tokenize a text file per document with a model's tokenizer (or a tokenizer file).")
public final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "a model (.bin, .gguf, HF directory) or a tokenizer alone: tokenizer.json, tokenizer.model, tokenizer.bin (tok*.bin), "
                    + ".gguf, or a directory holding tokenizer files") Path model;
    @Option(names = "--tokenizer", description = "tokenizer file for a llama2.c model (default: tok512.bin or tokenizer.bin beside it)") Path tokenizer;
    @Option(names = "--text", required = true, description = "text file: *.raw is one document, other files blank-line separated paragraphs") Path text;
    @Option(names = "--split", description = "override the document split: paragraphs | whole-file (default: whole-file for *.raw, else paragraphs)") String split;
    @Option(names = "--bos", description = "put the tokenizer's BOS before every document (when it has one)") boolean bos;
    @Option(names = "--json", description = "print {\"documents\": [[ids...], ...]}") boolean json;
    @Option(names = {"-q", "--quiet"}, description = "no diagnostics on stderr") boolean quiet;

    @Spec CommandSpec spec;

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        Tokenizer tok = TokenizerFiles.locate(model, tokenizer);
        Corpus corpus = split == null ? Corpus.read(text) : Corpus.read(text, DocumentSplit.parse(split));
        boolean addBos = bos && tok.specialTokens().hasBos();
        long t0 = System.nanoTime();
        int[][] docs = new int[corpus.size()][];
        long tokens = 0, chars = 0;
        for (int d = 0; d < docs.length; d++) {
            String doc = corpus.documents().get(d);
            int[] ids = tok.encode(doc);
            if (addBos) {
                int[] withBos = new int[ids.length + 1];
                withBos[0] = tok.specialTokens().bos();
                System.arraycopy(ids, 0, withBos, 1, ids.length);
                ids = withBos;
            }
            docs[d] = ids;
            tokens += ids.length;
            chars += doc.length();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (json) {
            writeJson(docs, out);
        } else {
            out.printf("tokenizer  %s%n", describe(tok));
            out.printf(Locale.ROOT, "text       %s: %d documents (%s), %,d tokens%s%n", text, docs.length, corpus.split().name().toLowerCase(Locale.ROOT),
                    tokens, addBos ? " (a BOS per document included)" : bos ? " (the tokenizer has no BOS)" : " (no special tokens)");
        }
        out.flush();
        if (!quiet) err.printf(Locale.ROOT, "tokenized %,d characters into %,d tokens in %.3f s%n", chars, tokens, seconds);
        err.flush();
        return 0;
    }

    private static void writeJson(int[][] docs, PrintWriter out) throws java.io.IOException {
        Writer w = new BufferedWriter(out, 1 << 16);
        w.write("{\"documents\": [");
        for (int d = 0; d < docs.length; d++) {
            if (d > 0) w.write(", ");
            w.write('[');
            for (int i = 0; i < docs[d].length; i++) {
                if (i > 0) w.write(", ");
                w.write(Integer.toString(docs[d][i]));
            }
            w.write(']');
        }
        w.write("]}\n");
        w.flush();
    }

    /** One line about a tokenizer: kind, llama.cpp pre-tokenizer, size, special tokens. */
    static String describe(Tokenizer t) {
        SpecialTokens s = t.specialTokens();
        StringBuilder b = new StringBuilder(t.kind().label());
        if (t instanceof ByteLevelBpeTokenizer bl) b.append(" (llama.cpp pre-tokenizer ").append(bl.llamaCppPre() == null ? "none" : bl.llamaCppPre()).append(')');
        b.append(", ").append(t.size()).append(" tokens");
        b.append(", BOS ").append(s.hasBos() ? s.bos() + " " + quoted(t, s.bos()) + (s.addBos() ? " (added to documents)" : " (not added)") : "none");
        b.append(", EOS ").append(s.hasEos() ? s.eos() + " " + quoted(t, s.eos()) : "none");
        if (!s.endOfGeneration().isEmpty()) {
            b.append(", end of generation ").append(s.endOfGeneration().stream().map(id -> id + " " + quoted(t, id)).collect(Collectors.joining(", ")));
        }
        return b.toString();
    }

    private static String quoted(Tokenizer t, int id) { return "\"" + t.tokenText(id).replace("\n", "\\n") + "\""; }
}
