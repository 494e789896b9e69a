package dev.mixprune.prune;

import dev.mixprune.tensor.ThreadTeam;

/**
 * Dense Cholesky factorizations and triangular inverses in double, row-major n x n arrays.
 * Written for SparseGPT (docs/algorithms.md 4.2). The loops are ordered so that every inner loop
 * walks contiguous memory (dot products of row tails, row axpys).
 */
public final class Cholesky {
    private Cholesky() {}

    /**
     * A = L L^T with L lower-triangular, computed in place (the strict upper triangle is zeroed).
     * Returns false, leaving {@code a} partly overwritten, when A is not numerically positive definite.
     */
    public static boolean lowerInPlace(double[] a, int n) {
        for (int i = 0; i < n; i++) {
            int ri = i * n;
            for (int j = 0; j <= i; j++) {
                int rj = j * n;
                double s = a[ri + j];
                for (int k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
                if (i == j) {
                    if (!(s > 0) || !Double.isFinite(s)) return false;
                    a[ri + i] = Math.sqrt(s);
                } else {
                    a[ri + j] = s / a[rj + j];
                }
            }
            for (int j = i + 1; j < n; j++) a[ri + j] = 0;
        }
        return true;
    }

    /**
     * A = K K^T with K UPPER-triangular (the Cholesky factor of A with rows and columns reversed),
     * in place (the strict lower triangle is zeroed). Then A^{-1} = (K^{-1})^T K^{-1} with K^{-1}
     * upper: exactly the U of SparseGPT's "upper Cholesky factor of H^{-1}", from one
     * factorization and one triangular inverse. Returns false when A is not positive definite.
     *
     * <p>Column-oriented (left-looking from the right): once columns > j are final,
     * K[j][j] = sqrt(A[j][j] - |K[j][j+1:]|^2) and every K[i][j], i < j, is an independent
     * contiguous dot product, so each column runs in parallel over i.
     */
    public static boolean upperReversedInPlace(double[] a, int n) {
        ThreadTeam team = ThreadTeam.shared();
        for (int j = n - 1; j >= 0; j--) {
            final int jj = j;
            int rj = j * n;
            int tail = n - j - 1;
            double d = a[rj + j] - DoubleDot.dot(a, rj + j + 1, a, rj + j + 1, tail);
            if (!(d > 0) || !Double.isFinite(d)) return false;
            final double kjj = Math.sqrt(d);
            a[rj + j] = kjj;
            ThreadTeam.RangeBody body = (from, to) -> {
                for (int i = from; i < to; i++) {
                    int ri = i * n;
                    a[ri + jj] = (a[ri + jj] - DoubleDot.dot(a, ri + jj + 1, a, rj + jj + 1, tail)) / kjj;
                }
            };
            if ((long) j * tail < 50_000) body.run(0, j);
            else team.forRange(0, j, Math.max(1, 20_000 / Math.max(1, tail)), body);
        }
        for (int i = 0; i < n; i++) java.util.Arrays.fill(a, i * n, i * n + i, 0);
        return true;
    }

    /**
     * Inverse of an upper-triangular matrix with positive diagonal (a new array). Column j of the
     * inverse solves K u = e_j by back substitution; columns are independent, so they run in
     * parallel, each inner step a contiguous dot product of a row of K with u.
     */
    public static double[] invertUpper(double[] k, int n) {
        double[] u = new double[n * n];
        ThreadTeam.RangeBody body = (from, to) -> {
            double[] col = new double[n];
            for (int j = from; j < to; j++) {
                col[j] = 1.0 / k[j * n + j];
                for (int i = j - 1; i >= 0; i--) {
                    int ri = i * n;
                    col[i] = -DoubleDot.dot(k, ri + i + 1, col, i + 1, j - i) / k[ri + i];
                }
                for (int i = 0; i <= j; i++) u[i * n + j] = col[i];
            }
        };
        if ((long) n * n * n < 1_000_000) body.run(0, n);
        else ThreadTeam.shared().forRange(0, n, 1, body);
        return u;
    }

    /** Inverse of a lower-triangular matrix with positive diagonal (a new array). */
    public static double[] invertLower(double[] l, int n) {
        double[] v = new double[n * n];
        double[] tmp = new double[n];
        for (int i = 0; i < n; i++) {
            int ri = i * n;
            java.util.Arrays.fill(tmp, 0, i + 1, 0);
            for (int m = 0; m < i; m++) {
                double f = l[ri + m];
                if (f == 0) continue;
                int rm = m * n;
                for (int j = 0; j <= m; j++) tmp[j] += f * v[rm + j];
            }
            double inv = 1.0 / l[ri + i];
            v[ri + i] = inv;
            for (int j = 0; j < i; j++) v[ri + j] = -tmp[j] * inv;
        }
        return v;
    }
}
