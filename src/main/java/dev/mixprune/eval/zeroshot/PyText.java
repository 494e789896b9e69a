package dev.mixprune.eval.zeroshot;

import java.util.Locale;

/** The few Python str methods the harness relies on, with Python's semantics. */
final class PyText {
    private PyText() {}

    /** Python str.isspace() for one code point (Unicode White_Space plus the ASCII separators 0x1C-0x1F). */
    static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85;
    }

    static String rstrip(String s) {
        int end = s.length();
        while (end > 0) {
            int cp = s.codePointBefore(end);
            if (!isSpace(cp)) break;
            end -= Character.charCount(cp);
        }
        return s.substring(0, end);
    }

    static String strip(String s) {
        String r = rstrip(s);
        int start = 0;
        while (start < r.length()) {
            int cp = r.codePointAt(start);
            if (!isSpace(cp)) break;
            start += Character.charCount(cp);
        }
        return r.substring(start);
    }

    /**
     * Python str.capitalize() (3.8+): the first character in title case, ALL the others lower-cased
     * ("the Man" becomes "The man").
     */
    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int first = s.codePointAt(0);
        int n = Character.charCount(first);
        return new StringBuilder().appendCodePoint(Character.toTitleCase(first))
                .append(s.substring(n).toLowerCase(Locale.ROOT)).toString();
    }

    /** Python len(str): code points, not UTF-16 units or bytes. */
    static int len(String s) { return s.codePointCount(0, s.length()); }
}
