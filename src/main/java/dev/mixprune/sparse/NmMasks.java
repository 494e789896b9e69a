package dev.mixprune.sparse;

import dev.mixprune.tensor.Matrix;

/** Magnitude N:M masks for tests and benchmarks (the pruning methods live in {@code prune}). */
public final class NmMasks {
    private NmMasks() {}

    /** A copy of w keeping the n largest |values| of every group of m inputs (ties: the earlier column). */
    public static Matrix magnitude(Matrix w, int n, int m) {
        Matrix out = w.copy();
        float[] d = out.data();
        int cols = w.cols();
        boolean[] keep = new boolean[m];
        for (int r = 0; r < w.rows(); r++) {
            for (int c0 = 0; c0 < cols; c0 += m) {
                int len = Math.min(m, cols - c0), base = r * cols + c0;
                java.util.Arrays.fill(keep, false);
                for (int k = 0; k < Math.min(n, len); k++) {
                    int arg = -1;
                    for (int j = 0; j < len; j++) {
                        if (!keep[j] && (arg < 0 || Math.abs(d[base + j]) > Math.abs(d[base + arg]))) arg = j;
                    }
                    keep[arg] = true;
                }
                for (int j = 0; j < len; j++) if (!keep[j]) d[base + j] = 0f;
            }
        }
        return out;
    }
}
