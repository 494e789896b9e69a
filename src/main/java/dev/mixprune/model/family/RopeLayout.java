package dev.mixprune.model.family;

/**
 * The order of the q/k rows within a head in a file. In memory mixprune always uses
 * {@link #INTERLEAVED} (Meta / llama2.c: RoPE rotates the pairs (2j, 2j+1)); a file whose rows are in
 * {@link #HALVES} order (HF's rotate_half, llama.cpp's NEOX mode: pairs (j, j + hs/2)) is permuted
 * on read and write ({@code io.RopePermutation}), which gives the same model exactly.
 */
public enum RopeLayout {
    /** Pairs (2j, 2j+1): llama2.c, Meta, and llama.cpp's {@code llama} architecture (its converter permutes HF's q/k). */
    INTERLEAVED,
    /** Pairs (j, j + hs/2): every HF checkpoint, and GGUF architectures llama.cpp runs in NEOX mode (qwen2). */
    HALVES
}
