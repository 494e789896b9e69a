package dev.mixprune.io;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A SentencePiece-BPE vocabulary as llama2.c stores it: piece bytes (with "\u2581" already turned
 * into a plain space) and merge scores. Ids 0, 1, 2 are unk, BOS, EOS; 3..258 the byte pieces.
 */
public final class Vocabulary {
    public static final int UNK = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;

    private final byte[][] pieces;
    private final float[] scores;
    private final int maxTokenLength;
    private final Map<String, Integer> lookup;

    public Vocabulary(List<byte[]> pieces, float[] scores, int maxTokenLength) {
        if (pieces.size() != scores.length) throw new IllegalArgumentException(pieces.size() + " pieces but " + scores.length + " scores");
        this.pieces = pieces.toArray(new byte[0][]);
        this.scores = scores.clone();
        this.maxTokenLength = maxTokenLength;
        this.lookup = new HashMap<>(pieces.size() * 2);
        for (int i = 0; i < this.pieces.length; i++) {
            // First id wins, as run.c's sorted lookup returns one of the duplicates.
            lookup.putIfAbsent(new String(this.pieces[i], StandardCharsets.UTF_8), i);
        }
    }

    public int size() { return pieces.length; }
    public byte[] piece(int id) { return pieces[id]; }
    public String pieceString(int id) { return new String(pieces[id], StandardCharsets.UTF_8); }
    public float score(int id) { return scores[id]; }
    public int maxTokenLength() { return maxTokenLength; }

    /** Id of an exact piece, or -1. */
    public int idOf(String piece) {
        Integer id = lookup.get(piece);
        return id == null ? -1 : id;
    }
}
