package dev.mixprune.data;

import dev.mixprune.BadInputException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The documents of one text file (docs/protocols.md P and C). Never empty: a file without a
 * single document is bad input, since every use (perplexity, calibration) needs tokens.
 */
public record Corpus(Path source, DocumentSplit split, List<String> documents) {
    public Corpus {
        documents = List.copyOf(documents);
        if (documents.isEmpty()) {
            throw BadInputException.in(source, "empty corpus: no " + (split == DocumentSplit.PARAGRAPHS ? "non-blank paragraph" : "text")
                    + " found (expected UTF-8 text)");
        }
    }

    /** Reads a file with the protocol's default rule for its name ({@link DocumentSplit#forPath}). */
    public static Corpus read(Path file) {
        return read(file, DocumentSplit.forPath(file));
    }

    public static Corpus read(Path file, DocumentSplit split) {
        return new Corpus(file, split, split.split(readUtf8(file)));
    }

    /** A corpus from text already in memory ({@code source} only names it in messages and manifests). */
    public static Corpus of(Path source, DocumentSplit split, String text) {
        return new Corpus(source, split, split.split(text));
    }

    public int size() { return documents.size(); }

    /** Strict UTF-8 (no replacement characters), a BOM is kept as U+FEFF as Python's "utf-8" codec does. */
    static String readUtf8(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw BadInputException.in(file, "file not found (expected a UTF-8 text file)");
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e, e);
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) r = decoder.flush(out);
        if (r.isError()) {
            int at = in.position();
            StringBuilder hex = new StringBuilder();
            for (int i = at; i < Math.min(bytes.length, at + r.length()); i++) hex.append(String.format(" %02x", bytes[i] & 0xff));
            throw BadInputException.at(file, at, "text", "invalid UTF-8 byte sequence" + hex + " (expected UTF-8 text)");
        }
        out.flip();
        return out.toString();
    }
}
