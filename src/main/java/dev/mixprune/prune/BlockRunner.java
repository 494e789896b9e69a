package dev.mixprune.prune;

import dev.mixprune.model.ActivationCapture;
import dev.mixprune.model.BlockForward;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.tensor.Matrix;

/**
 * The batched forward of one decoder block, as {@link BlockForward#forward} defines it. A seam so
 * that the sequential loop can be tested against small synthetic blocks too.
 */
@FunctionalInterface
public interface BlockRunner {
    Matrix forward(LlamaConfig c, BlockWeights w, int blockIndex, Matrix x, int nSeq, int seqLen, ActivationCapture capture);

    BlockRunner LLAMA = BlockForward::forward;
}
