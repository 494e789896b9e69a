package dev.mixprune.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A SentencePiece-BPE vocabulary as llama2.c stores it: piece bytes (with "\u2581" already turned
 * into a plain space) and merge scores. In llama2.c vocabularies ids 0, 1, 2 are unk, BOS, EOS and
 * 3..258 the byte pieces.
 *
 * <p>Each piece also has a SentencePiece token type (1 normal, 2 unknown, 3 control, 4 user
 * defined, 5 unused, 6 byte), which GGUF and tokenizer.model store and llama2.c does not; when
 * absent it is derived from the piece (see {@link #defaultType}).
 *
 * <p>SentencePiece view vs. llama2.c view ({@link #fromSentencePiece}, {@link #sentencePiece}):
 * llama2.c's tokenizer export replaces "\u2581" by " " and stores BOS/EOS as "\n&lt;s&gt;\n" and
 * "\n&lt;/s&gt;\n"; the conversion here does exactly that, and its inverse, so
 * tokenizer.bin, tokenizer.model and GGUF vocabularies convert into each other losslessly.
 */
public final class Vocabulary {
    /**
     * Ids whose pieces llama2.c's tokenizer.py exports as "\n&lt;s&gt;\n" / "\n&lt;/s&gt;\n" (SentencePiece's
     * defaults). Only the spelling conversion uses them; a tokenizer's BOS/EOS are its {@link SpecialTokens}.
     */
    static final int LLAMA2C_UNK = 0, LLAMA2C_BOS = 1, LLAMA2C_EOS = 2;

    /** SentencePiece ModelProto.SentencePiece.Type values. */
    public static final int TYPE_NORMAL = 1, TYPE_UNKNOWN = 2, TYPE_CONTROL = 3, TYPE_USER_DEFINED = 4, TYPE_UNUSED = 5, TYPE_BYTE = 6;

    private static final String SP_SPACE = "\u2581";

    private final byte[][] pieces;
    private final float[] scores;
    private final int[] types;
    private final int maxTokenLength;
    private final Map<String, Integer> lookup;

    public Vocabulary(List<byte[]> pieces, float[] scores, int maxTokenLength) {
        this(pieces, scores, null, maxTokenLength);
    }

    /** @param types SentencePiece token types, or null to derive them from the pieces */
    public Vocabulary(List<byte[]> pieces, float[] scores, int[] types, int maxTokenLength) {
        if (pieces.size() != scores.length) throw new IllegalArgumentException(pieces.size() + " pieces but " + scores.length + " scores");
        if (types != null && types.length != scores.length) throw new IllegalArgumentException(pieces.size() + " pieces but " + types.length + " token types");
        this.pieces = pieces.toArray(new byte[0][]);
        this.scores = scores.clone();
        this.maxTokenLength = maxTokenLength;
        this.types = new int[this.pieces.length];
        for (int i = 0; i < this.pieces.length; i++) this.types[i] = types != null ? types[i] : defaultType(i, this.pieces[i]);
        this.lookup = new HashMap<>(pieces.size() * 2);
        for (int i = 0; i < this.pieces.length; i++) {
            // First id wins, as run.c's sorted lookup returns one of the duplicates.
            lookup.putIfAbsent(new String(this.pieces[i], StandardCharsets.UTF_8), i);
        }
    }

    /**
     * Builds the llama2.c view from SentencePiece pieces (as in tokenizer.model or GGUF
     * tokenizer.ggml.tokens): "\u2581" becomes " ", BOS/EOS get llama2.c's newline wrapping, and
     * max_token_length is the longest piece in bytes (as llama2.c's tokenizer.py computes it).
     */
    public static Vocabulary fromSentencePiece(List<String> spPieces, float[] scores, int[] types) {
        List<byte[]> p = new ArrayList<>(spPieces.size());
        int maxLen = 0;
        for (int i = 0; i < spPieces.size(); i++) {
            String s = spPieces.get(i);
            if (i == LLAMA2C_BOS || i == LLAMA2C_EOS) s = "\n" + s + "\n";
            byte[] b = s.replace(SP_SPACE, " ").getBytes(StandardCharsets.UTF_8);
            maxLen = Math.max(maxLen, b.length);
            p.add(b);
        }
        return new Vocabulary(p, scores, types, maxLen);
    }

    /** The SentencePiece form of a piece: the inverse of {@link #fromSentencePiece}. */
    public String sentencePiece(int id) {
        String s = pieceString(id);
        if ((id == LLAMA2C_BOS || id == LLAMA2C_EOS) && s.length() >= 2 && s.startsWith("\n") && s.endsWith("\n")) s = s.substring(1, s.length() - 1);
        return s.replace(" ", SP_SPACE);
    }

    /** Type of a piece whose file did not record one: unk, BOS/EOS control, {@code <0xHH>} byte, else normal. */
    public static int defaultType(int id, byte[] piece) {
        if (id == LLAMA2C_UNK) return TYPE_UNKNOWN;
        if (id == LLAMA2C_BOS || id == LLAMA2C_EOS) return TYPE_CONTROL;
        if (isBytePiece(piece)) return TYPE_BYTE;
        return TYPE_NORMAL;
    }

    /** Whether a piece is a SentencePiece byte-fallback piece {@code <0xHH>}. */
    public static boolean isBytePiece(byte[] p) {
        return p.length == 6 && p[0] == '<' && p[1] == '0' && p[2] == 'x' && p[5] == '>'
                && Character.digit(p[3], 16) >= 0 && Character.digit(p[4], 16) >= 0;
    }

    public int size() { return pieces.length; }
    public byte[] piece(int id) { return pieces[id]; }
    public String pieceString(int id) { return new String(pieces[id], StandardCharsets.UTF_8); }
    public float score(int id) { return scores[id]; }
    /** SentencePiece token type of a piece (1 normal ... 6 byte). */
    public int tokenType(int id) { return types[id]; }
    public int maxTokenLength() { return maxTokenLength; }

    /** Id of an exact piece, or -1. */
    public int idOf(String piece) {
        Integer id = lookup.get(piece);
        return id == null ? -1 : id;
    }

    /** Same pieces, scores and types (max_token_length is a derived header value and not compared). */
    public boolean sameEntries(Vocabulary o) {
        if (o.size() != size()) return false;
        for (int i = 0; i < size(); i++) {
            if (!java.util.Arrays.equals(pieces[i], o.pieces[i]) || Float.floatToRawIntBits(scores[i]) != Float.floatToRawIntBits(o.scores[i])
                    || types[i] != o.types[i]) return false;
        }
        return true;
    }
}
