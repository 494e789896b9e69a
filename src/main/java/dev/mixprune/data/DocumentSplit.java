package dev.mixprune.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a text file is cut into documents (docs/protocols.md P). Each document is tokenized as
 * [BOS] + encode(text), so the rule decides where BOS tokens go in the stream.
 */
public enum DocumentSplit {
    /**
     * Paragraphs separated by blank lines (TinyStories files): lines are split at '\n'; a line that
     * is empty or holds only whitespace is blank; every maximal run of non-blank lines, joined with
     * '\n' and stripped of leading/trailing whitespace (Python's {@code str.strip()} set), is one
     * document. Empty paragraphs are dropped.
     */
    PARAGRAPHS,
    /** The whole file, bytes as they are (no stripping, no newline translation), is one document (wiki.test.raw). */
    WHOLE_FILE;

    /** The protocol's default for a file: {@code *.raw} is one document, anything else is paragraphs. */
    public static DocumentSplit forPath(Path file) {
        Path name = file.getFileName();
        return name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".raw") ? WHOLE_FILE : PARAGRAPHS;
    }

    /** Parses a CLI value: {@code paragraphs}, {@code whole} / {@code whole-file} (case-insensitive). */
    public static DocumentSplit parse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "paragraphs", "paragraph" -> PARAGRAPHS;
            case "whole", "whole-file", "file" -> WHOLE_FILE;
            default -> throw new IllegalArgumentException("unknown document split '" + value + "' (expected paragraphs or whole-file)");
        };
    }

    /** The documents of {@code text} under this rule (possibly none). */
    public List<String> split(String text) {
        if (this == WHOLE_FILE) return text.isEmpty() ? List.of() : List.of(text);
        List<String> docs = new ArrayList<>();
        int paragraphStart = -1; // index of the first char of the current run of non-blank lines
        int paragraphEnd = -1;   // end (exclusive, before its '\n') of the last non-blank line in the run
        int lineStart = 0;
        while (lineStart <= text.length()) {
            int nl = text.indexOf('\n', lineStart);
            int lineEnd = nl < 0 ? text.length() : nl;
            if (isBlank(text, lineStart, lineEnd)) {
                if (paragraphStart >= 0) addStripped(docs, text, paragraphStart, paragraphEnd);
                paragraphStart = -1;
            } else {
                if (paragraphStart < 0) paragraphStart = lineStart;
                paragraphEnd = lineEnd;
            }
            if (nl < 0) break;
            lineStart = nl + 1;
        }
        if (paragraphStart >= 0) addStripped(docs, text, paragraphStart, paragraphEnd);
        return docs;
    }

    private static boolean isBlank(String s, int from, int to) {
        for (int i = from; i < to; i++) if (!PythonWhitespace.isSpace(s.charAt(i))) return false;
        return true;
    }

    private static void addStripped(List<String> docs, String s, int from, int to) {
        while (from < to && PythonWhitespace.isSpace(s.charAt(from))) from++;
        while (to > from && PythonWhitespace.isSpace(s.charAt(to - 1))) to--;
        if (to > from) docs.add(s.substring(from, to));
    }
}
