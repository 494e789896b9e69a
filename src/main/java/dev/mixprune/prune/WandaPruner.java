package dev.mixprune.prune;

import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

/**
 * Wanda (docs/algorithms.md 3): score S_ij = |W_ij| * sqrt(scaler_row_j), no weight update.
 * Unstructured: every output row is its own comparison group and loses exactly
 * floor(cols * s) weights (stable ascending order: among equal scores the lower column goes
 * first). N:M: per row, per group of M inputs, keep the N highest scores.
 */
public final class WandaPruner implements LayerPruner {

    @Override
    public void prune(Matrix w, Pattern pattern, InputStats stats) {
        if (stats == null) throw new IllegalArgumentException("Wanda needs calibration statistics");
        int rows = w.rows(), cols = w.cols();
        if (stats.inFeatures() != cols) throw new IllegalArgumentException("statistics for " + stats.inFeatures() + " inputs, layer has " + cols);
        double[] norm = new double[cols];
        double[] sr = stats.scalerRow();
        for (int j = 0; j < cols; j++) norm[j] = Math.sqrt(sr[j]);
        float[] d = w.data();
        boolean[] mask = new boolean[d.length];
        int perRow = pattern instanceof Pattern.Unstructured u ? (int) Math.floor(cols * u.sparsity()) : 0;
        // Rows are independent comparison groups writing disjoint parts of the mask: row-parallel.
        ThreadTeam.RangeBody body = (from, to) -> {
            double[] score = new double[cols];
            for (int r = from; r < to; r++) {
                int off = r * cols;
                for (int c = 0; c < cols; c++) score[c] = Math.abs(d[off + c]) * norm[c];
                switch (pattern) {
                    case Pattern.Unstructured u -> Selection.markSmallest(score, cols, perRow, mask, off);
                    case Pattern.NM nm -> Selection.markRowNM(score, cols, nm, mask, off);
                }
            }
        };
        if ((long) rows * cols < 1 << 16) body.run(0, rows);
        else ThreadTeam.shared().forRange(0, rows, Math.max(1, (1 << 15) / cols), body);
        LayerPruner.applyMask(w, mask);
    }
}
