package dev.mixprune.prune;

import dev.mixprune.tensor.CholeskyReference;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.NotPositiveDefiniteException;

/**
 * SparseGPT, the obviously-correct version: everything in double, H^{-1} formed explicitly as
 * (L L^T)^{-1} = L^{-T} L^{-1}, U its upper Cholesky factor (U = chol_lower(H^{-1})^T), and every
 * OBS update applied immediately to ALL later columns (no lazy blocks). Blocks of the column
 * sweep only decide when the unstructured mask is chosen, as in the reference. Slow: O(cols^3)
 * plain loops; for tests.
 */
public final class SparseGptReference implements LayerPruner {
    private final SparseGptOptions options;

    public SparseGptReference(SparseGptOptions options) { this.options = options; }

    @Override
    public void prune(Matrix w, Pattern pattern, InputStats stats) {
        int rows = w.rows(), n = w.cols();
        double[] h = stats.hessian();
        HessianPrep.handleDead(h, n, w);
        double[] u = HessianPrep.dampAndFactor(h, n, options, SparseGptReference::upperFactorOfInverse);
        int bwidth = options.blockWidth(pattern);

        double[][] wd = new double[rows][n];
        for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) wd[r][c] = w.get(r, c);
        boolean[][] mask = new boolean[rows][n];
        for (int i1 = 0; i1 < n; i1 += bwidth) {
            int i2 = Math.min(i1 + bwidth, n);
            int bw = i2 - i1;
            if (pattern instanceof Pattern.Unstructured un) {
                double[] score = new double[rows * bw];
                for (int r = 0; r < rows; r++) for (int c = 0; c < bw; c++) {
                    double diag = u[(i1 + c) * n + i1 + c];
                    score[r * bw + c] = wd[r][i1 + c] * wd[r][i1 + c] / (diag * diag);
                }
                boolean[] flat = new boolean[rows * bw];
                Selection.markSmallest(score, rows * bw, (int) Math.floor((double) rows * bw * un.sparsity()), flat, 0);
                for (int r = 0; r < rows; r++) for (int c = 0; c < bw; c++) mask[r][i1 + c] = flat[r * bw + c];
            }
            for (int c = i1; c < i2; c++) {
                double diag = u[c * n + c];
                for (int r = 0; r < rows; r++) {
                    if (pattern instanceof Pattern.NM nm && c % nm.m() == 0) {
                        int g = Math.min(nm.m(), n - c);
                        double[] s = new double[g];
                        for (int t = 0; t < g; t++) {
                            double dg = u[(c + t) * n + c + t];
                            s[t] = wd[r][c + t] * wd[r][c + t] / (dg * dg);
                        }
                        boolean[] gm = new boolean[g];
                        Selection.markGroup(s, 0, g, nm.n(), gm, 0);
                        for (int t = 0; t < g; t++) mask[r][c + t] = gm[t];
                    }
                    if (!mask[r][c]) continue;
                    double e = wd[r][c] / diag;
                    wd[r][c] = 0;
                    for (int j = c + 1; j < n; j++) wd[r][j] -= e * u[c * n + j];
                }
            }
        }
        for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) w.set(r, c, (float) wd[r][c]);
    }

    /** U with H^{-1} = U^T U, U upper, the long way (textbook scalar Cholesky); null when a factorization fails. */
    static double[] upperFactorOfInverse(double[] h, int n) {
        try {
            double[] linv = CholeskyReference.invertLower(CholeskyReference.factor(h, n), n);
            double[] hinv = new double[n * n];
            for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) {
                double s = 0;
                for (int k = Math.max(a, b); k < n; k++) s += linv[k * n + a] * linv[k * n + b];
                hinv[a * n + b] = s;
            }
            double[] l2 = CholeskyReference.factor(hinv, n);
            double[] u = new double[n * n];
            for (int a = 0; a < n; a++) for (int b = 0; b <= a; b++) u[b * n + a] = l2[a * n + b];
            return u;
        } catch (NotPositiveDefiniteException e) {
            return null;
        }
    }
}
