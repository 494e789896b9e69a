package dev.mixprune.data;

/**
 * The characters Python's {@code str.isspace()} / {@code str.strip()} treat as whitespace
 * (bidirectional class WS, B or S, or category Zs). Java's {@link Character#isWhitespace} differs
 * (it excludes U+0085, U+00A0, U+2007, U+202F), and the reference implementation strips the Python way.
 * All of them are in the BMP, so one UTF-16 unit decides.
 */
final class PythonWhitespace {
    private PythonWhitespace() {}

    static boolean isSpace(char c) {
        return switch (c) {
            case '\t', '\n', '\u000b', '\f', '\r', '\u001c', '\u001d', '\u001e', '\u001f', ' ',
                 '\u0085', '\u00a0', '\u1680', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000' -> true;
            default -> c >= '\u2000' && c <= '\u200a';
        };
    }
}
