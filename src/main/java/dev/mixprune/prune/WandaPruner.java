package dev.mixprune.prune;

import dev.mixprune.tensor.Matrix;

/**
 * Wanda (docs/algorithms.md 3): score S_ij = |W_ij| * sqrt(scaler_row_j) ({@link MaskRule.Wanda}),
 * no weight update. Unstructured: every output row is its own comparison group and loses exactly
 * floor(cols * s) weights (stable ascending order: among equal scores the lower column goes
 * first). N:M: per row, per group of M inputs, keep the N highest scores.
 */
public final class WandaPruner implements LayerPruner {

    @Override
    public void prune(Matrix w, Pattern pattern, InputStats stats) {
        if (stats == null) throw new IllegalArgumentException("Wanda needs calibration statistics");
        if (stats.inFeatures() != w.cols()) throw new IllegalArgumentException("statistics for " + stats.inFeatures() + " inputs, layer has " + w.cols());
        LayerPruner.applyMask(w, MaskRule.wanda(stats.scalerRow()).mask(w, pattern));
    }
}
