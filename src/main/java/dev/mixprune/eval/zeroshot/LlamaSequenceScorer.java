package dev.mixprune.eval.zeroshot;

import dev.mixprune.model.LlamaForward;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;

import java.util.List;

/** The model's own batched forward ({@link LlamaForward#logitsBatch}) with its context length. */
public record LlamaSequenceScorer(LlamaWeights weights) implements SequenceScorer {
    @Override public int maxLength() { return weights.config().seqLen(); }
    @Override public int vocabSize() { return weights.config().vocabSize(); }
    @Override public List<Matrix> logitsBatch(List<int[]> sequences) { return LlamaForward.logitsBatch(weights, sequences); }
}
