package dev.mixprune.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Text to token ids and back, with the tokenizer's own special tokens. Two rules exist
 * (docs/data.md, protocols.md T and T2):
 * <ul>
 *   <li>{@link SentencePieceTokenizer}: llama2.c / SentencePiece BPE (tokenizer.bin, tokenizer.model,
 *       SentencePiece-style tokenizer.json, GGUF {@code tokenizer.ggml.model = llama});</li>
 *   <li>{@link ByteLevelBpeTokenizer}: Hugging Face byte-level BPE (Llama 3, Qwen2, SmolLM
 *       tokenizer.json; GGUF {@code tokenizer.ggml.model = gpt2}).</li>
 * </ul>
 * Instances are immutable and thread-safe.
 */
public sealed interface Tokenizer permits SentencePieceTokenizer, ByteLevelBpeTokenizer {

    /** Which rule; the name is what {@code tokenize} and {@code inspect} print. */
    enum Kind {
        SENTENCEPIECE_BPE("sentencepiece-bpe"), BYTE_LEVEL_BPE("byte-level-bpe");

        private final String label;

        Kind(String label) { this.label = label; }

        public String label() { return label; }
    }

    Kind kind();

    /** Number of ids (the largest id + 1). A model's embedding may have more rows (unused padding ids), never fewer. */
    int size();

    SpecialTokens specialTokens();

    /** The ids of {@code text} alone, without BOS or EOS (protocol T steps 1-3, T2 steps 1-3). */
    int[] encode(String text);

    /** A document as protocols T and T2 encode it: {@code [BOS if the tokenizer adds one] + encode(text)}; never EOS. */
    default int[] encodeDocument(String text) {
        int[] body = encode(text);
        SpecialTokens s = specialTokens();
        if (!s.addBos()) return body;
        int[] out = new int[body.length + 1];
        out[0] = s.bos();
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    /** The token as the vocabulary spells it (SentencePiece "\u2581the", byte-level "\u0120the", "<|eot_id|>"). */
    String tokenText(int id);

    TokenType tokenType(int id);

    /**
     * The bytes {@code token} adds to decoded text when it follows {@code prev} (-1 at the start).
     * Control tokens add nothing. Bytes of one character may be split over tokens, so callers
     * concatenate bytes and decode UTF-8 at the end.
     */
    byte[] decodeBytes(int prev, int token);

    /** The text of a sequence of ids, control tokens left out. */
    default byte[] decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < ids.length; i++) out.writeBytes(decodeBytes(i == 0 ? -1 : ids[i - 1], ids[i]));
        return out.toByteArray();
    }

    /** {@link #decode} as a string (malformed UTF-8 becomes U+FFFD). */
    default String decodeString(int[] ids) { return new String(decode(ids), StandardCharsets.UTF_8); }
}
