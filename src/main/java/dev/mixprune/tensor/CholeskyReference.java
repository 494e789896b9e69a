package dev.mixprune.tensor;

/**
 * Textbook scalar versions of {@link Cholesky}'s kernels (unblocked, single-threaded, row-major
 * double[n*n]): the reference the blocked ones are tested against.
 */
public final class CholeskyReference {
    private CholeskyReference() {}

    /** Lower L with H = L Lᵀ (Cholesky–Crout, column by column). */
    public static double[] factor(double[] h, int n) {
        double[] l = new double[n * n];
        for (int j = 0; j < n; j++) {
            double d = h[j * n + j];
            for (int p = 0; p < j; p++) d -= l[j * n + p] * l[j * n + p];
            if (!(d > 0) || Double.isInfinite(d)) throw new NotPositiveDefiniteException(j, d, n);
            double ljj = Math.sqrt(d);
            l[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++) {
                double s = h[i * n + j];
                for (int p = 0; p < j; p++) s -= l[i * n + p] * l[j * n + p];
                l[i * n + j] = s / ljj;
            }
        }
        return l;
    }

    /** L⁻¹ of a lower-triangular L, by forward substitution column by column. */
    public static double[] invertLower(double[] l, int n) {
        double[] x = new double[n * n];
        for (int c = 0; c < n; c++) {
            x[c * n + c] = 1.0 / l[c * n + c];
            for (int i = c + 1; i < n; i++) {
                double s = 0;
                for (int p = c; p < i; p++) s += l[i * n + p] * x[p * n + c];
                x[i * n + c] = (0.0 - s) / l[i * n + i];
            }
        }
        return x;
    }
}
