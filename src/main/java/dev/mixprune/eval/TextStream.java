package dev.mixprune.eval;

import dev.mixprune.BadInputException;
import dev.mixprune.io.Tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The token stream of protocol P (docs/protocols.md): a {@code .raw} file (wiki.test.raw) is one
 * document, bytes as they are; any other text file is split into blank-line separated paragraphs,
 * each stripped, empty ones skipped. Every document is encoded as [BOS] + encode(text) and the ids
 * are concatenated. (Stand-in until the data package's corpus reader lands; same rule.)
 */
public final class TextStream {
    private TextStream() {}

    public static List<String> documents(Path file) throws IOException {
        String text = readUtf8(file);
        if (file.getFileName().toString().endsWith(".raw")) return text.isEmpty() ? List.of() : List.of(text);
        List<String> docs = new ArrayList<>();
        // A blank line is a line holding only whitespace; \r\n line ends are handled by the \s.
        for (String p : text.split("\\n[ \\t\\r\\f]*\\n")) {
            String s = p.strip();
            if (!s.isEmpty()) docs.add(s);
        }
        return docs;
    }

    public static int[] tokens(Path file, Tokenizer tokenizer) throws IOException {
        List<int[]> parts = new ArrayList<>();
        long n = 0;
        for (String d : documents(file)) {
            int[] ids = tokenizer.encodeDocument(d);
            parts.add(ids);
            n += ids.length;
        }
        if (n > Integer.MAX_VALUE - 8) throw new BadInputException(file + ": " + n + " tokens, more than one stream can hold");
        int[] out = new int[(int) n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static String readUtf8(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new BadInputException(file + ": not valid UTF-8 text (" + e.getMessage() + ")");
        }
    }
}
