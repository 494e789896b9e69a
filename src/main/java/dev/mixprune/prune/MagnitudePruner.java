package dev.mixprune.prune;

import dev.mixprune.tensor.Matrix;

/**
 * Magnitude pruning (docs/algorithms.md 2), score |W| ({@link MaskRule.Magnitude}).
 * Unstructured: ONE comparison group per matrix; exactly k = floor(rows*cols*s) weights are
 * zeroed (see {@link Selection} for the tie rule: the reference's {@code <=} threshold would zero
 * k+1, and at least one weight even at s = 0). N:M: per row, per group of M inputs, keep the N
 * largest.
 */
public final class MagnitudePruner implements LayerPruner {

    @Override
    public void prune(Matrix w, Pattern pattern, InputStats stats) {
        LayerPruner.applyMask(w, MaskRule.magnitude().mask(w, pattern));
    }
}
