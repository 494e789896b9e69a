package dev.mixprune.tokenizer;

/**
 * An entry of tokenizer.json's {@code added_tokens}: matched in the text as it is, before the
 * normalizer and the pre-tokenizer see it (protocol T2 step 1). {@code normalized} tokens are
 * matched in the normalized text instead; {@code lstrip}/{@code rstrip} swallow the whitespace
 * beside a match; a {@code singleWord} token only matches outside words.
 */
public record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip, boolean singleWord, boolean normalized) {
    public AddedToken {
        if (id < 0) throw new IllegalArgumentException("added token id " + id);
        if (content.isEmpty()) throw new IllegalArgumentException("empty added token (id " + id + ")");
    }

    /** A token matched exactly as written, as GGUF control and user-defined tokens are. */
    public static AddedToken plain(int id, String content, boolean special) {
        return new AddedToken(id, content, special, false, false, false, false);
    }

    /**
     * llama.cpp converter's rule for a control token: marked special, or looking like one
     * ({@code <|...|>}, {@code <｜...｜>}, and a few known names).
     */
    public boolean control() {
        return special || looksSpecial(content);
    }

    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uFF5C") && t.endsWith("\uFF5C>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }
}
