package dev.mixprune.tokenizer;

import java.text.Normalizer;
import java.util.List;
import java.util.Locale;

/**
 * The {@code normalizer} of a tokenizer.json that this project applies (protocol T2 step 2):
 * Unicode normalization forms, lower-casing, and sequences of them. Others are refused when the
 * file is read ({@link HfTokenizerJson}).
 */
sealed interface TextNormalizer {
    String apply(String text);

    /** The JSON {@code type} as tokenizer.json spells it (for writing the file back). */
    Object toJson();

    TextNormalizer NONE = new None();

    record None() implements TextNormalizer {
        @Override public String apply(String text) { return text; }
        @Override public Object toJson() { return null; }
    }

    /** NFC, NFD, NFKC or NFKD. */
    record UnicodeForm(Normalizer.Form form) implements TextNormalizer {
        @Override public String apply(String text) {
            return Normalizer.isNormalized(text, form) ? text : Normalizer.normalize(text, form);
        }
        @Override public Object toJson() { return java.util.Map.of("type", form.name()); }
    }

    /** Full Unicode lower-casing (Rust's {@code str::to_lowercase}; Java's root-locale rules agree, final sigma included). */
    record Lowercase() implements TextNormalizer {
        @Override public String apply(String text) { return text.toLowerCase(Locale.ROOT); }
        @Override public Object toJson() { return java.util.Map.of("type", "Lowercase"); }
    }

    record Sequence(List<TextNormalizer> steps) implements TextNormalizer {
        public Sequence { steps = List.copyOf(steps); }
        @Override public String apply(String text) {
            for (TextNormalizer n : steps) text = n.apply(text);
            return text;
        }
        @Override public Object toJson() {
            return java.util.Map.of("type", "Sequence", "normalizers", steps.stream().map(TextNormalizer::toJson).toList());
        }
    }
}
