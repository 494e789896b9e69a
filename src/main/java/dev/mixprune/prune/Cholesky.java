package dev.mixprune.prune;

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
     */
    public static boolean upperReversedInPlace(double[] a, int n) {
        for (int i = n - 1; i >= 0; i--) {
            int ri = i * n;
            for (int j = n - 1; j >= i; j--) {
                int rj = j * n;
                double s = a[ri + j];
                for (int k = j + 1; k < n; k++) s -= a[ri + k] * a[rj + k];
                if (i == j) {
                    if (!(s > 0) || !Double.isFinite(s)) return false;
                    a[ri + i] = Math.sqrt(s);
                } else {
                    a[ri + j] = s / a[rj + j];
                }
            }
            for (int j = 0; j < i; j++) a[ri + j] = 0;
        }
        return true;
    }

    /** Inverse of an upper-triangular matrix with positive diagonal (a new array). */
    public static double[] invertUpper(double[] k, int n) {
        double[] u = new double[n * n];
        double[] tmp = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            int ri = i * n;
            java.util.Arrays.fill(tmp, i, n, 0);
            for (int m = i + 1; m < n; m++) {
                double f = k[ri + m];
                if (f == 0) continue;
                int rm = m * n;
                for (int j = m; j < n; j++) tmp[j] += f * u[rm + j];
            }
            double inv = 1.0 / k[ri + i];
            u[ri + i] = inv;
            for (int j = i + 1; j < n; j++) u[ri + j] = -tmp[j] * inv;
        }
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
