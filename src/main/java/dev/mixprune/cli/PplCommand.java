package dev.mixprune.cli;

import dev.mixprune.io.OutputSet;
import dev.mixprune.UsageException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.eval.Perplexity;
import dev.mixprune.eval.PerplexityResult;
import dev.mixprune.data.Corpus;
import dev.mixprune.data.TokenStream;
import dev.mixprune.io.AtomicFiles;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.progress.Progress;
import dev.mixprune.progress.ProgressFactory;
import dev.mixprune.tensor.KernelInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Perplexity per docs/protocols.md P: prints ppl, windows and tokens (or one JSON object). */
@Command(name = "ppl", description = "Perplexity of a model on a text file (protocol P: non-overlapping windows, tail dropped).")
public final class PplCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model file (.bin, .gguf) or HF directory") Path model;
    @Option(names = "--tokenizer", description = "tokenizer.bin for llama2.c models (default: tok512.bin or tokenizer.bin beside the model)") Path tokenizer;
    @Option(names = "--text", required = true, description = "text file: *.raw is one document, other files blank-line separated paragraphs") Path text;
    @Option(names = "--seqlen", description = "window length (default: the model's context length)") Integer seqLen;
    @Option(names = "--json", description = "print one JSON object") boolean json;
    @Option(names = "--limit", description = "score only the first N windows (a quick check; the default scores all)") Integer limit;
    @Option(names = "--dump-windows", paramLabel = "FILE",
            description = "also write the scored windows as JSON {\"seqlen\": T, \"windows\": [[ids...], ...]} (for scripts/llamacpp/ppl.mjs; default: not written)")
    Path dumpWindows;

    @Mixin ComputeOptions compute = new ComputeOptions();

    private final PrintStream out;
    private final PrintStream stderr;
    private PrintStream err;

    public PplCommand() { this(System.out, System.err); }

    PplCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.stderr = err;
    }

    @Override public Integer call() throws Exception {
        err = compute.quiet() ? new PrintStream(java.io.OutputStream.nullOutputStream()) : stderr;
        if (!Files.isRegularFile(text)) throw new NoSuchFileException(text.toString());
        LoadedModel m = ModelLoader.loadForInference(model, tokenizer);
        err.println(KernelInfo.describe());
        if (KernelInfo.scalarWarning() != null) err.println(KernelInfo.scalarWarning());
        LlamaWeights w = m.weights();
        int T = seqLen != null ? seqLen : w.config().seqLen();
        UsageException.require(T >= 2 && T <= w.config().seqLen(), "--seqlen", "2.." + w.config().seqLen() + " (the model's context length)", T);
        ProgressFactory progress = ProgressFactory.forCli(compute.quiet(), stderr);
        long t0 = System.nanoTime();
        int[] ids;
        try (Progress p = progress.start("tokenize " + text.getFileName(), 1, "file")) {
            ids = TokenStream.of(Corpus.read(text), m.requireTokenizer()).toArray();
            p.step(1);
        }
        long t1 = System.nanoTime();
        if (ids.length < T) {
            throw new BadInputException(text + ": " + ids.length + " tokens, fewer than one window of --seqlen " + T);
        }
        if (limit != null) {
            UsageException.require(limit >= 1, "--limit", "at least 1", limit);
            // Windows are cut from the start of the stream, so a prefix of limit*T tokens gives exactly the first windows.
            if ((long) limit * T < ids.length) ids = java.util.Arrays.copyOf(ids, limit * T);
        }
        if (dumpWindows != null) {
            try (OutputSet outs = OutputSet.begin(CommandFiles.of(CommandFiles.model(model, tokenizer), text), false)) {
                writeWindows(outs.file(dumpWindows, OutputSet.Existing.REPLACE, "--dump-windows"), Perplexity.windows(ids, T), T);
                outs.commit();
            }
        }
        PerplexityResult r;
        try (Progress p = progress.start("ppl " + text.getFileName(), ids.length / T, "windows")) {
            r = Perplexity.compute(w, ids, T, p::step);
        } catch (dev.mixprune.NonFiniteException e) {
            throw e.inModel(model);
        }
        long t2 = System.nanoTime();
        err.printf(Locale.ROOT, "tokenized %d tokens in %.2f s; scored %d windows in %.2f s (%.0f tok/s)%n",
                ids.length, (t1 - t0) / 1e9, r.windows(), (t2 - t1) / 1e9, r.windows() * (double) T / ((t2 - t1) / 1e9));
        if (json) {
            ObjectMapper om = new ObjectMapper();
            ObjectNode o = om.createObjectNode();
            o.put("model", model.toString());
            o.put("text", text.toString());
            o.put("seqlen", T);
            o.put("ppl", r.ppl());
            o.put("mean_nll", r.meanNll());
            o.put("windows", r.windows());
            o.put("tokens", r.tokensScored());
            out.println(om.writeValueAsString(o));
        } else {
            out.printf(Locale.ROOT, "ppl      %.6f%nmean_nll %.6f%nwindows  %d%ntokens   %d%nseqlen   %d%n",
                    r.ppl(), r.meanNll(), r.windows(), r.tokensScored(), T);
        }
        out.flush();
        return 0;
    }

    /** The exact windows {@link Perplexity#compute} scores, one JSON array of ids per window. */
    static void writeWindows(Path file, int[][] windows, int seqLen) throws java.io.IOException {
        StringBuilder sb = new StringBuilder(windows.length * seqLen * 4 + 64);
        sb.append("{\"seqlen\": ").append(seqLen).append(", \"windows\": [");
        for (int i = 0; i < windows.length; i++) {
            sb.append(i == 0 ? "\n[" : ",\n[");
            for (int t = 0; t < windows[i].length; t++) {
                if (t > 0) sb.append(',');
                sb.append(windows[i][t]);
            }
            sb.append(']');
        }
        sb.append("\n]}\n");
        AtomicFiles.write(file, sb.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
}
