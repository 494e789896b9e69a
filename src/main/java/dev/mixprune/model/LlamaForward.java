package dev.mixprune.model;

import dev.mixprune.tensor.Matrix;

import java.util.List;

/**
 * Full-model batched forward. OWNER: forward work. Contract:
 * logits(w, tokens) gives [tokens.length x vocab] next-token logits at every position of one
 * causal sequence starting at position 0; logitsBatch does many sequences (any lengths) at once.
 */
public final class LlamaForward {
    private LlamaForward() {}

    public static Matrix logits(LlamaWeights w, int[] tokens) {
        return logitsBatch(w, List.of(tokens)).get(0);
    }

    public static List<Matrix> logitsBatch(LlamaWeights w, List<int[]> sequences) {
        throw new UnsupportedOperationException("LlamaForward not implemented yet");
    }
}
