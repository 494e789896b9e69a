package dev.mixprune.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles a regex of a tokenizer.json ({@code Split} pattern) for java.util.regex with the meaning
 * Hugging Face tokenizers gives it (Oniguruma, Ruby syntax, Unicode):
 * <ul>
 *   <li>{@code \s} / {@code \S} are Unicode White_Space (U+0085 and U+00A0 included, U+FEFF not);
 *       Java's own {@code \s} would be ASCII only;</li>
 *   <li>{@code \d}, {@code \w} and their negations are Unicode (Nd; letters, marks, Nd, Pc);</li>
 *   <li>{@code \h} is a hexadecimal digit (Oniguruma), not horizontal space (Java);</li>
 *   <li>{@code \p{Han}}-style script names become {@code \p{IsHan}};</li>
 *   <li>{@code ^}/{@code $} are line anchors at '\n' (Ruby), {@code .} excludes only '\n'.</li>
 * </ul>
 * Case-insensitive groups such as Llama 3's {@code (?i:'s|'t|...)} fold ASCII only, as the
 * llama.cpp and transformers.js tokenizers do (Oniguruma would also fold U+017F LONG S to 's').
 */
final class HfRegex {
    private static final String WHITE = "\\p{IsWhite_Space}";
    private static final String NOT_WHITE = "\\P{IsWhite_Space}";
    private static final String WORD_MEMBERS = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";

    private HfRegex() {}

    static Pattern compile(String hfRegex) {
        return Pattern.compile(translate(hfRegex), Pattern.MULTILINE | Pattern.UNIX_LINES);
    }

    /** The java.util.regex spelling of an Oniguruma pattern (see the class comment). */
    static String translate(String re) {
        StringBuilder out = new StringBuilder(re.length() + 32);
        int classDepth = 0;
        for (int i = 0; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '\\' && i + 1 < re.length()) {
                char e = re.charAt(i + 1);
                boolean inClass = classDepth > 0;
                switch (e) {
                    case 's' -> out.append(WHITE);
                    case 'S' -> out.append(NOT_WHITE);
                    case 'd' -> out.append("\\p{Nd}");
                    case 'D' -> out.append("\\P{Nd}");
                    case 'w' -> out.append(inClass ? WORD_MEMBERS : "[" + WORD_MEMBERS + "]");
                    case 'W' -> out.append("[^" + WORD_MEMBERS + "]");
                    case 'h' -> out.append(inClass ? "0-9a-fA-F" : "[0-9a-fA-F]");
                    case 'H' -> out.append("[^0-9a-fA-F]");
                    case 'p', 'P' -> {
                        int close = re.indexOf('}', i);
                        if (i + 2 < re.length() && re.charAt(i + 2) == '{' && close > 0) {
                            out.append('\\').append(e).append('{').append(property(re.substring(i + 3, close))).append('}');
                            i = close;
                            continue;
                        }
                        out.append('\\').append(e);
                    }
                    default -> out.append(c).append(e);
                }
                i++;
                continue;
            }
            if (c == '[') classDepth++;
            else if (c == ']' && classDepth > 0) classDepth--;
            out.append(c);
        }
        try {
            Pattern.compile(out.toString());
        } catch (PatternSyntaxException ex) {
            throw new IllegalArgumentException("regex " + re + " cannot be compiled: " + ex.getDescription());
        }
        return out.toString();
    }

    /** General categories (L, Lu, N, Nd, ...) as they are; other names are scripts or binary properties: Is + name. */
    private static String property(String name) {
        if (name.startsWith("^")) return "^" + property(name.substring(1)); // not valid Java, rejected when compiled
        boolean category = name.length() <= 2 && !name.isEmpty() && Character.isUpperCase(name.charAt(0));
        return category || name.startsWith("Is") || name.contains("=") ? name : "Is" + name;
    }
}
