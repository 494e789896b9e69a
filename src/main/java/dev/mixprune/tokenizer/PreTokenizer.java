package dev.mixprune.tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code pre_tokenizer} of a tokenizer.json (protocol T2 step 2): splits normalized text into
 * the words BPE runs on, with Hugging Face tokenizers' semantics. Empty pieces are dropped.
 */
sealed interface PreTokenizer {

    /** Appends the pieces of {@code text} to {@code out}. */
    void split(String text, List<String> out);

    /** The JSON object tokenizer.json stores for this step. */
    Map<String, Object> toJson();

    /** How {@link Split} treats the pattern's matches (HF {@code SplitDelimiterBehavior}). */
    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

        static Behavior parse(String s) {
            return switch (s) {
                case "Removed" -> REMOVED;
                case "Isolated" -> ISOLATED;
                case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
                case "MergedWithNext" -> MERGED_WITH_NEXT;
                case "Contiguous" -> CONTIGUOUS;
                default -> null;
            };
        }

        String jsonName() {
            return switch (this) {
                case REMOVED -> "Removed";
                case ISOLATED -> "Isolated";
                case MERGED_WITH_PREVIOUS -> "MergedWithPrevious";
                case MERGED_WITH_NEXT -> "MergedWithNext";
                case CONTIGUOUS -> "Contiguous";
            };
        }
    }

    /**
     * {@code Split}: a regex ({@code {"Regex": ...}}, Oniguruma meaning, see {@link HfRegex}) or a
     * literal ({@code {"String": ...}}); {@code invert} swaps matches and the text between them.
     */
    record Split(String source, boolean regex, Behavior behavior, boolean invert, Pattern pattern) implements PreTokenizer {
        static Split of(String source, boolean regex, Behavior behavior, boolean invert) {
            return new Split(source, regex, behavior, invert, regex ? HfRegex.compile(source) : Pattern.compile(Pattern.quote(source)));
        }

        @Override public void split(String text, List<String> out) {
            List<int[]> spans = new ArrayList<>(); // {start, end, isMatch}
            Matcher m = pattern.matcher(text);
            int prev = 0;
            while (m.find()) {
                if (m.start() > prev) spans.add(new int[]{prev, m.start(), 0});
                spans.add(new int[]{m.start(), m.end(), 1});
                prev = m.end();
            }
            if (prev < text.length()) spans.add(new int[]{prev, text.length(), 0});
            if (invert) for (int[] s : spans) s[2] ^= 1;
            Spans.emit(text, Spans.apply(spans, behavior), out);
        }

        @Override public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "Split");
            m.put("pattern", Map.of(regex ? "Regex" : "String", source));
            m.put("behavior", behavior.jsonName());
            m.put("invert", invert);
            return m;
        }
    }

    /** {@code Digits}: numeric characters (Unicode N, as Rust's {@code char::is_numeric}) split off, one by one or in runs. */
    record Digits(boolean individual) implements PreTokenizer {
        @Override public void split(String text, List<String> out) {
            List<int[]> spans = new ArrayList<>();
            int prev = 0;
            for (int i = 0; i < text.length(); ) {
                int cp = text.codePointAt(i);
                int next = i + Character.charCount(cp);
                if (isNumeric(cp)) {
                    if (i > prev) spans.add(new int[]{prev, i, 0});
                    spans.add(new int[]{i, next, 1});
                    prev = next;
                }
                i = next;
            }
            if (prev < text.length()) spans.add(new int[]{prev, text.length(), 0});
            Spans.emit(text, Spans.apply(spans, individual ? Behavior.ISOLATED : Behavior.CONTIGUOUS), out);
        }

        static boolean isNumeric(int cp) {
            int t = Character.getType(cp);
            return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
        }

        @Override public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "Digits");
            m.put("individual_digits", individual);
            return m;
        }
    }

    /**
     * {@code ByteLevel}: optionally a leading space (when the piece does not start with one) and
     * GPT-2's regex split, then every piece's UTF-8 bytes written in {@link ByteLevelAlphabet}.
     */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex, boolean trimOffsets) implements PreTokenizer {
        /** GPT-2's pattern, as tokenizers' ByteLevel uses it. */
        static final String GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
        private static final Split GPT2 = Split.of(GPT2_REGEX, true, Behavior.ISOLATED, false);

        @Override public void split(String text, List<String> out) {
            if (addPrefixSpace && !text.startsWith(" ")) text = " " + text;
            if (!useRegex) {
                if (!text.isEmpty()) out.add(ByteLevelAlphabet.encode(text));
                return;
            }
            List<String> words = new ArrayList<>();
            GPT2.split(text, words);
            for (String w : words) out.add(ByteLevelAlphabet.encode(w));
        }

        @Override public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "ByteLevel");
            m.put("add_prefix_space", addPrefixSpace);
            m.put("trim_offsets", trimOffsets);
            m.put("use_regex", useRegex);
            return m;
        }
    }

    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        public Sequence { steps = List.copyOf(steps); }

        @Override public void split(String text, List<String> out) {
            List<String> pieces = List.of(text);
            for (PreTokenizer step : steps) {
                List<String> next = new ArrayList<>(pieces.size() * 2);
                for (String p : pieces) step.split(p, next);
                pieces = next;
            }
            out.addAll(pieces);
        }

        @Override public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "Sequence");
            m.put("pretokenizers", steps.stream().map(PreTokenizer::toJson).toList());
            return m;
        }
    }

    /** Whether a ByteLevel step is part of this pre-tokenizer (then the BPE runs on byte-level symbols). */
    static boolean hasByteLevel(PreTokenizer p) {
        return switch (p) {
            case ByteLevel b -> true;
            case Sequence s -> s.steps().stream().anyMatch(PreTokenizer::hasByteLevel);
            default -> false;
        };
    }

    /** Span arithmetic of tokenizers' {@code NormalizedString::split}. */
    final class Spans {
        private Spans() {}

        /** Spans {start, end, isMatch} covering the text, regrouped by {@code behavior}; the results' flags mean "drop". */
        static List<int[]> apply(List<int[]> spans, Behavior behavior) {
            List<int[]> acc = new ArrayList<>(spans.size());
            switch (behavior) {
                case ISOLATED -> { for (int[] s : spans) acc.add(new int[]{s[0], s[1], 0}); }
                case REMOVED -> { for (int[] s : spans) acc.add(new int[]{s[0], s[1], s[2]}); }
                case MERGED_WITH_PREVIOUS -> {
                    boolean previousMatch = false;
                    for (int[] s : spans) {
                        boolean match = s[2] == 1;
                        if (match && !previousMatch && !acc.isEmpty()) acc.getLast()[1] = s[1];
                        else acc.add(new int[]{s[0], s[1], 0});
                        previousMatch = match;
                    }
                }
                case MERGED_WITH_NEXT -> {
                    boolean previousMatch = false;
                    for (int[] s : spans.reversed()) {
                        boolean match = s[2] == 1;
                        if (match && !previousMatch && !acc.isEmpty()) acc.getLast()[0] = s[0];
                        else acc.add(new int[]{s[0], s[1], 0});
                        previousMatch = match;
                    }
                    java.util.Collections.reverse(acc);
                }
                case CONTIGUOUS -> {
                    boolean previousMatch = false;
                    for (int[] s : spans) {
                        boolean match = s[2] == 1;
                        if (match == previousMatch && !acc.isEmpty()) acc.getLast()[1] = s[1];
                        else acc.add(new int[]{s[0], s[1], 0});
                        previousMatch = match;
                    }
                }
            }
            return acc;
        }

        static void emit(String text, List<int[]> spans, List<String> out) {
            for (int[] s : spans) if (s[2] == 0 && s[1] > s[0]) out.add(text.substring(s[0], s[1]));
        }
    }
}
