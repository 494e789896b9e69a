package dev.mixprune.eval.zeroshot;

import dev.mixprune.tensor.Matrix;

import java.util.List;

/**
 * A causal language model seen as a batch of logits: for every sequence (each starting at
 * position 0, any lengths) a [length x vocab] matrix of next-token logits. The real
 * implementation is {@link LlamaSequenceScorer}; tests use small deterministic fakes.
 */
public interface SequenceScorer {
    /** Longest sequence the model accepts (its context length). */
    int maxLength();

    int vocabSize();

    List<Matrix> logitsBatch(List<int[]> sequences);
}
