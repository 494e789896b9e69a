package dev.mixprune.prune;

import dev.mixprune.tensor.Cholesky;
import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.NotPositiveDefiniteException;
import dev.mixprune.tensor.ThreadTeam;

/**
 * SparseGPT (docs/algorithms.md 4), the fast version: H^{-1}'s upper Cholesky factor U from one
 * reversed Cholesky and a triangular inverse (double), then a column sweep in blocks of 128 with
 * the OBS updates applied inside the block per row and LAZILY to later columns with one GEMM per
 * block. Rows are independent inside a block, so the in-block sweep runs row-parallel.
 *
 * <p>Masks: unstructured chooses, per column block, exactly floor(rows * width * s) weights with
 * the smallest w^2 / U_cc^2 over the whole rows x width block, from the weights as updated by
 * earlier blocks ({@link Selection} tie rule). N:M decides each group of M inputs (groups start at
 * multiples of M; the tail group keeps at most N) when the sweep reaches its first column, from
 * the current weights. Kept weights keep their updated values.
 */
public final class SparseGptPruner implements LayerPruner {
    private final SparseGptOptions options;

    public SparseGptPruner(SparseGptOptions options) { this.options = options; }

    @Override
    public void prune(Matrix w, Pattern pattern, InputStats stats) {
        if (stats == null || !stats.hasGram()) throw new IllegalArgumentException("SparseGPT needs the Hessian of the layer input");
        int cols = w.cols();
        if (stats.inFeatures() != cols) throw new IllegalArgumentException("statistics for " + stats.inFeatures() + " inputs, layer has " + cols);
        long t0 = System.nanoTime();
        HessianPrep.zeroDeadColumns(stats.gram(), w);
        double[] u = stats.sparseGptFactor(options, () -> {
            double[] h = stats.hessian();
            HessianPrep.handleDead(h, cols, null);
            return HessianPrep.dampAndFactor(h, cols, options, SparseGptPruner::upperFactorOfInverse);
        });
        long t1 = System.nanoTime();
        sweep(w, pattern, u, options.blockWidth(pattern));
        options.phaseTimes().layer(w.rows(), cols, (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
    }

    /**
     * U with H^{-1} = U^T U (blocked, parallel {@link Cholesky#inverseUpperFactor}: one reversed
     * factorization and one triangular inverse, H^{-1} is never formed); null when H is not
     * numerically positive definite, so that the caller can raise the damping.
     */
    static double[] upperFactorOfInverse(double[] h, int n) {
        try {
            return Cholesky.inverseUpperFactor(h, n);
        } catch (NotPositiveDefiniteException e) {
            return null;
        }
    }

    /** The column sweep given U (upper, row-major cols x cols). Package-private for tests. */
    static void sweep(Matrix w, Pattern pattern, double[] u, int blockWidth) {
        int rows = w.rows(), cols = w.cols();
        float[] d = w.data();
        for (int i1 = 0; i1 < cols; i1 += blockWidth) {
            final int b1 = i1;
            final int b2 = Math.min(i1 + blockWidth, cols);
            final int bw = b2 - b1;
            final boolean[] mask = new boolean[rows * bw];
            if (pattern instanceof Pattern.Unstructured un) {
                double[] score = new double[rows * bw];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < bw; c++) {
                        double v = d[r * cols + b1 + c];
                        double diag = u[(b1 + c) * cols + b1 + c];
                        score[r * bw + c] = v * v / (diag * diag);
                    }
                }
                long k = unstructuredCount(rows, bw, un.sparsity());
                Selection.markSmallest(score, rows * bw, (int) k, mask, 0);
            }
            final Matrix err = new Matrix(rows, bw);
            final Pattern.NM nm = pattern instanceof Pattern.NM p ? p : null;
            ThreadTeam.shared().forRange(0, rows, Math.max(1, 16_384 / (bw * bw)), (from, to) -> {
                for (int r = from; r < to; r++) sweepRow(d, r, cols, b1, b2, u, nm, mask, err.data());
            });
            if (b2 < cols) {
                // Lazy OBS update of all later columns: W[:, b2:] -= Err * U[b1:b2, b2:].
                int rest = cols - b2;
                Matrix panel = new Matrix(bw, rest);
                float[] pd = panel.data();
                for (int c = 0; c < bw; c++) {
                    int src = (b1 + c) * cols + b2;
                    for (int j = 0; j < rest; j++) pd[c * rest + j] = (float) u[src + j];
                }
                // In row chunks of about 16 MiB of update: one rows x rest product per column block
                // (180 MB for a 4096 x 11008 layer, ~86 blocks) would be garbage big enough to go
                // straight to the old generation and pile up there (docs/pruning.md, "Memory").
                int chunk = updateChunkRows(rows, rest);
                for (int r0 = 0; r0 < rows; r0 += chunk) {
                    int r1 = Math.min(rows, r0 + chunk);
                    float[] ud = Gemm.nn(err.rowSlice(r0, r1), panel).data();
                    for (int r = r0; r < r1; r++) {
                        int off = r * cols + b2, uoff = (r - r0) * rest;
                        for (int j = 0; j < rest; j++) d[off + j] -= ud[uoff + j];
                    }
                }
            }
        }
    }

    /** Rows per chunk of the lazy update so that one chunk's product is at most about 16 MiB (at least 64 rows). */
    /** Weights the unstructured mask of one rows x width column block prunes: floor(rows * width * s). */
    static long unstructuredCount(int rows, int width, double s) {
        return (long) Math.floor((double) rows * width * s);
    }

    static int updateChunkRows(int rows, int rest) {
        return Math.max(1, Math.min(rows, Math.max(64, (16 << 20) / (4 * Math.max(1, rest)))));
    }

    /** Sweeps one row through columns [b1, b2), updating only columns inside the block. */
    private static void sweepRow(float[] d, int r, int cols, int b1, int b2, double[] u, Pattern.NM nm, boolean[] mask, float[] err) {
        int bw = b2 - b1;
        int off = r * cols;
        int moff = r * bw;
        double[] groupScore = nm == null ? null : new double[nm.m()];
        for (int c = b1; c < b2; c++) {
            double diag = u[c * cols + c];
            if (nm != null && c % nm.m() == 0) {
                int g = Math.min(nm.m(), cols - c);
                for (int t = 0; t < g; t++) {
                    double v = d[off + c + t];
                    double dg = u[(c + t) * cols + c + t];
                    groupScore[t] = v * v / (dg * dg);
                }
                Selection.markGroup(groupScore, 0, g, nm.n(), mask, moff + (c - b1));
            }
            float wv = d[off + c];
            if (!mask[moff + (c - b1)]) {
                err[moff + (c - b1)] = 0f;
                continue;
            }
            double e = wv / diag;
            err[moff + (c - b1)] = (float) e;
            d[off + c] = 0f;
            int uc = c * cols;
            for (int j = c + 1; j < b2; j++) d[off + j] -= (float) (e * u[uc + j]);
        }
    }
}
