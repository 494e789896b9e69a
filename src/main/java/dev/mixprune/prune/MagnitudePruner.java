package dev.mixprune.prune;

import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

/**
 * Magnitude pruning (docs/algorithms.md 2), score |W|.
 * Unstructured: ONE comparison group per matrix; exactly k = floor(rows*cols*s) weights are
 * zeroed (see {@link Selection} for the tie rule: the reference's {@code <=} threshold would zero
 * k+1, and at least one weight even at s = 0). N:M: per row, per group of M inputs, keep the N
 * largest.
 */
public final class MagnitudePruner implements LayerPruner {

    @Override
    public void prune(Matrix w, Pattern pattern, InputStats stats) {
        int rows = w.rows(), cols = w.cols();
        float[] d = w.data();
        boolean[] mask = new boolean[d.length];
        switch (pattern) {
            case Pattern.Unstructured u -> {
                double[] score = new double[d.length];
                for (int i = 0; i < d.length; i++) score[i] = Math.abs(d[i]);
                long k = (long) Math.floor((double) d.length * u.sparsity());
                Selection.markSmallest(score, d.length, (int) k, mask, 0);
            }
            case Pattern.NM nm -> {
                // Rows are independent and write disjoint parts of the mask: row-parallel.
                ThreadTeam.RangeBody body = (from, to) -> {
                    double[] score = new double[cols];
                    for (int r = from; r < to; r++) {
                        for (int c = 0; c < cols; c++) score[c] = Math.abs(d[r * cols + c]);
                        Selection.markRowNM(score, cols, nm, mask, r * cols);
                    }
                };
                if ((long) rows * cols < 1 << 16) body.run(0, rows);
                else ThreadTeam.shared().forRange(0, rows, Math.max(1, (1 << 15) / cols), body);
            }
        }
        LayerPruner.applyMask(w, mask);
    }
}
