package dev.mixprune.tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * The special ids a tokenizer declares about itself, each {@link #NONE} when it has none.
 *
 * <p>A document is {@code [BOS if addBos] + encode(text)} (protocols.md T and T2). Generation stops
 * at an end-of-generation token ({@link #endOfGeneration()}: EOS plus end-of-turn tokens such as
 * Llama 3's {@code <|eot_id|>} or Qwen's {@code <|im_end|>}), or at BOS, which starts a new
 * document (llama2.c run.c's rule).
 *
 * @param endOfGeneration ids that end a generation, ascending, EOS included when there is one
 */
public record SpecialTokens(int bos, int eos, int unk, int pad, boolean addBos, boolean addEos, List<Integer> endOfGeneration) {
    public static final int NONE = -1;

    public SpecialTokens {
        for (int id : new int[]{bos, eos, unk, pad}) if (id < NONE) throw new IllegalArgumentException("special token id " + id);
        if (addBos && bos == NONE) throw new IllegalArgumentException("addBos without a BOS token");
        if (addEos && eos == NONE) throw new IllegalArgumentException("addEos without an EOS token");
        int[] eog = endOfGeneration.stream().mapToInt(Integer::intValue).toArray();
        if (eos != NONE) {
            eog = Arrays.copyOf(eog, eog.length + 1);
            eog[eog.length - 1] = eos;
        }
        endOfGeneration = Arrays.stream(eog).peek(id -> {
            if (id < 0) throw new IllegalArgumentException("end-of-generation id " + id);
        }).sorted().distinct().boxed().toList();
    }

    /** No special token at all (a tokenizer that declares none). */
    public static SpecialTokens none() { return new SpecialTokens(NONE, NONE, NONE, NONE, false, false, List.of()); }

    public boolean hasBos() { return bos != NONE; }

    public boolean hasEos() { return eos != NONE; }

    public boolean endsGeneration(int id) { return endOfGeneration.contains(id); }

    /** Whether sampling stops when {@code id} is produced: an end-of-generation token, or BOS. */
    public boolean stopsGeneration(int id) { return endsGeneration(id) || (bos != NONE && id == bos); }

    /** The same tokens with every id checked to be below {@code size} (an error names the first that is not). */
    public SpecialTokens checkedAgainst(int size) {
        record Named(String name, int id) { }
        for (Named n : List.of(new Named("BOS", bos), new Named("EOS", eos), new Named("UNK", unk), new Named("PAD", pad))) {
            if (n.id() >= size) throw new IllegalArgumentException(n.name() + " id " + n.id() + " is outside the vocabulary of " + size);
        }
        for (int id : endOfGeneration) if (id >= size) throw new IllegalArgumentException("end-of-generation id " + id + " is outside the vocabulary of " + size);
        return this;
    }

    public SpecialTokens withAddBos(boolean add) { return new SpecialTokens(bos, eos, unk, pad, add, addEos, endOfGeneration); }
}
