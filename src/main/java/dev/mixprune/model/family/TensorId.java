package dev.mixprune.model.family;

import dev.mixprune.model.LayerKind;

/**
 * One tensor of a model by its role, independent of any file format; a {@link ModelFamily} turns
 * it into the name a format uses ({@link ModelFamily#ggufName}, {@link ModelFamily#hfName}).
 *
 * @param role   what the tensor is
 * @param block  decoder block index, or -1 for the tensors outside the blocks
 * @param linear the linear layer for {@link Role#WEIGHT}, {@link Role#BIAS} and the packed parts; else null
 */
public record TensorId(Role role, int block, LayerKind linear) {
    public enum Role {
        EMBEDDING, ATTN_NORM, FFN_NORM, WEIGHT, BIAS, FINAL_NORM, CLASSIFIER,
        /** llama.cpp's RoPE frequency factors (Llama 3.1 rope scaling); GGUF only. */
        ROPE_FREQS,
        /** mixprune's packed N:M storage of a linear (docs/formats.md "Packed N:M"); GGUF only. */
        NM_VALUES, NM_INDEX
    }

    public TensorId {
        boolean inBlock = role == Role.ATTN_NORM || role == Role.FFN_NORM || role == Role.WEIGHT || role == Role.BIAS
                || role == Role.NM_VALUES || role == Role.NM_INDEX;
        boolean needsLinear = role == Role.WEIGHT || role == Role.BIAS || role == Role.NM_VALUES || role == Role.NM_INDEX;
        if (inBlock != (block >= 0)) throw new IllegalArgumentException(role + (inBlock ? " needs a block index" : " is not in a block") + ", got " + block);
        if (needsLinear != (linear != null)) throw new IllegalArgumentException(role + (needsLinear ? " needs a linear" : " has no linear"));
    }

    public static final TensorId EMBEDDING = new TensorId(Role.EMBEDDING, -1, null);
    public static final TensorId FINAL_NORM = new TensorId(Role.FINAL_NORM, -1, null);
    public static final TensorId CLASSIFIER = new TensorId(Role.CLASSIFIER, -1, null);
    public static final TensorId ROPE_FREQS = new TensorId(Role.ROPE_FREQS, -1, null);

    public static TensorId attnNorm(int block) { return new TensorId(Role.ATTN_NORM, block, null); }
    public static TensorId ffnNorm(int block) { return new TensorId(Role.FFN_NORM, block, null); }
    public static TensorId weight(int block, LayerKind k) { return new TensorId(Role.WEIGHT, block, k); }
    public static TensorId bias(int block, LayerKind k) { return new TensorId(Role.BIAS, block, k); }
    public static TensorId nmValues(int block, LayerKind k) { return new TensorId(Role.NM_VALUES, block, k); }
    public static TensorId nmIndex(int block, LayerKind k) { return new TensorId(Role.NM_INDEX, block, k); }
}
