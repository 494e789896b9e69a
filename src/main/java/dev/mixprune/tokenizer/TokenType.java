package dev.mixprune.tokenizer;

/**
 * What a token id is, with the numeric codes SentencePiece ({@code ModelProto.SentencePiece.Type})
 * and GGUF ({@code tokenizer.ggml.token_type}) share.
 */
public enum TokenType {
    /** GGUF only: no type recorded. */
    UNDEFINED(0),
    /** An ordinary piece of text, produced by the BPE merges. */
    NORMAL(1),
    UNKNOWN(2),
    /** A special token (BOS, EOS, end-of-turn ...): never produced from text by merges, not printed when decoding. */
    CONTROL(3),
    /** An added token that is matched in the text as it is (e.g. Qwen's {@code <tool_call>}) and printed when decoding. */
    USER_DEFINED(4),
    /** A reserved id with no text (e.g. padding rows of the embedding). */
    UNUSED(5),
    /** SentencePiece byte-fallback piece {@code <0xHH>}. */
    BYTE(6);

    private final int code;

    TokenType(int code) { this.code = code; }

    public int code() { return code; }

    /** The type of a code, or null for a code outside 0..6. */
    public static TokenType ofCode(long code) {
        for (TokenType t : values()) if (t.code == code) return t;
        return null;
    }
}
