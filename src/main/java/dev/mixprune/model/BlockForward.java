package dev.mixprune.model;

import dev.mixprune.tensor.Matrix;

/**
 * Batched forward of one decoder block over nSeq independent causal sequences of seqLen tokens.
 * OWNER: forward work. Contract used by pruning:
 * x is the residual stream [nSeq*seqLen, dim] (sequence-major); returns the block's output residual
 * (a new matrix); calls capture for ATTN_IN, ATTN_OUT, FFN_IN, FFN_MID in that order.
 */
public final class BlockForward {
    private BlockForward() {}

    public static Matrix forward(LlamaConfig c, BlockWeights w, int blockIndex, Matrix x, int nSeq, int seqLen, ActivationCapture capture) {
        throw new UnsupportedOperationException("BlockForward not implemented yet");
    }
}
