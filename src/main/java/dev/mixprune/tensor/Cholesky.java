package dev.mixprune.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Double-precision Cholesky factorization of a symmetric positive definite n x n matrix stored
 * row-major in a {@code double[n*n]} (only the lower triangle of the input is read), the inverse
 * through the factor, and SparseGPT's preparation step (docs/algorithms.md §4.2): the upper
 * Cholesky factor U of H⁻¹, with H⁻¹ = Uᵀ U.
 *
 * <p>The factorization is left-looking by columns: column j of L needs the dot products of rows
 * i &gt; j with row j over their first j entries, which are independent across i and split over
 * the {@link ThreadTeam} when n is large. Dot products run on the Vector API when it is present.
 */
public final class Cholesky {
    private Cholesky() {}

    /** Below this size the columns are too short for the team's wake-up to pay off. */
    static final int PARALLEL_N = 192;

    /** Lower factor L (row-major, zero above the diagonal) with H = L Lᵀ. H is not modified. */
    public static double[] factor(double[] h, int n) {
        checkSquare(h, n);
        double[] l = new double[n * n];
        for (int i = 0; i < n; i++) System.arraycopy(h, i * n, l, i * n, i + 1);
        factorInPlace(l, n);
        return l;
    }

    /**
     * Factors in place: on entry the lower triangle (incl. diagonal) of {@code a} holds H, on exit
     * it holds L; the strict upper triangle is set to zero.
     */
    public static void factorInPlace(double[] a, int n) {
        checkSquare(a, n);
        for (int i = 0; i < n; i++) java.util.Arrays.fill(a, i * n + i + 1, (i + 1) * n, 0.0);
        boolean parallel = n >= PARALLEL_N && !ThreadTeam.insideTask();
        ThreadTeam team = ThreadTeam.shared();
        for (int j = 0; j < n; j++) {
            int rj = j * n;
            double d = a[rj + j] - dot(a, rj, a, rj, j);
            if (!(d > 0) || Double.isInfinite(d)) throw new NotPositiveDefiniteException(j, d, n);
            double ljj = Math.sqrt(d);
            a[rj + j] = ljj;
            double inv = 1.0 / ljj;
            final int col = j;
            if (parallel && (long) (n - j - 1) * j > 1 << 15) {
                team.forRange(j + 1, n, 16, (lo, hi) -> column(a, n, col, inv, lo, hi));
            } else {
                column(a, n, col, inv, j + 1, n);
            }
        }
    }

    private static void column(double[] a, int n, int j, double inv, int lo, int hi) {
        int rj = j * n;
        for (int i = lo; i < hi; i++) {
            int ri = i * n;
            a[ri + j] = (a[ri + j] - dot(a, ri, a, rj, j)) * inv;
        }
    }

    /** H⁻¹ (full symmetric, row-major) through the Cholesky factor. H is not modified. */
    public static double[] inverse(double[] h, int n) {
        double[] m = factor(h, n);
        invertLowerInPlace(m, n);            // m = L⁻¹ (lower)
        // H⁻¹ = L⁻ᵀ L⁻¹: entry (i, j) = sum over k >= max(i, j) of M[k][i] M[k][j].
        double[] out = new double[n * n];
        ThreadTeam team = ThreadTeam.shared();
        ThreadTeam.RangeBody rows = (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                int ri = i * n;
                for (int k = i; k < n; k++) {
                    double mki = m[k * n + i];
                    if (mki != 0) axpy(mki, m, k * n, out, ri, i + 1); // columns j <= i only
                }
            }
        };
        if (n >= PARALLEL_N && !ThreadTeam.insideTask()) team.forRange(0, n, 8, rows);
        else rows.run(0, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) out[j * n + i] = out[i * n + j];
        }
        return out;
    }

    /**
     * SparseGPT's U: the upper-triangular factor with positive diagonal such that H⁻¹ = Uᵀ U
     * (what {@code torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(H)), upper=True)}
     * returns). Computed without forming H⁻¹: with J the order-reversing permutation, factor
     * J H J = L' L'ᵀ; then R = J L' J is upper with H = R Rᵀ, so H⁻¹ = R⁻ᵀ R⁻¹ and U = R⁻¹
     * (upper, positive diagonal: the unique such factor).
     */
    public static double[] inverseUpperFactor(double[] h, int n) {
        checkSquare(h, n);
        // w = lower triangle of J H J: w[i][j] = h[n-1-i][n-1-j] for j <= i.
        double[] w = new double[n * n];
        for (int i = 0; i < n; i++) {
            int src = (n - 1 - i) * n;
            int dst = i * n;
            for (int j = 0; j <= i; j++) w[dst + j] = h[src + n - 1 - j];
        }
        try {
            factorInPlace(w, n);
        } catch (NotPositiveDefiniteException e) {
            // Report the pivot in H's own numbering.
            throw new NotPositiveDefiniteException(n - 1 - e.pivot(), e.value(), n);
        }
        invertLowerInPlace(w, n);            // (L')⁻¹, lower
        // U = R⁻¹ = J (L')⁻¹ J: U[i][j] = w[n-1-i][n-1-j], upper because w is lower.
        double[] u = new double[n * n];
        for (int i = 0; i < n; i++) {
            int src = (n - 1 - i) * n;
            int dst = i * n;
            for (int j = i; j < n; j++) u[dst + j] = w[src + n - 1 - j];
        }
        return u;
    }

    /**
     * Replaces the lower-triangular L (non-zero diagonal) by L⁻¹. Column j of the inverse solves
     * L x = e_j by forward substitution; columns are independent, so they run in parallel, each
     * in a private buffer and then written back (only entries at or below the diagonal change).
     */
    public static void invertLowerInPlace(double[] l, int n) {
        checkSquare(l, n);
        double[] inv = new double[n * n];     // columns of L⁻¹ stored as rows (transposed)
        ThreadTeam.RangeBody cols = (lo, hi) -> {
            for (int j = lo; j < hi; j++) {
                int xj = j * n;               // x = inv[xj .. xj+n), x_i = 0 for i < j
                inv[xj + j] = 1.0 / l[j * n + j];
                for (int i = j + 1; i < n; i++) {
                    int ri = i * n;
                    double s = dot(l, ri + j, inv, xj + j, i - j);
                    inv[xj + i] = (0.0 - s) / l[ri + i]; // 0.0 - s: no -0.0 where s == 0
                }
            }
        };
        if (n >= PARALLEL_N && !ThreadTeam.insideTask()) ThreadTeam.shared().forRange(0, n, 4, cols);
        else cols.run(0, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) l[i * n + j] = inv[j * n + i];
        }
    }

    private static void checkSquare(double[] a, int n) {
        if (n < 0 || a.length != (long) n * n) {
            throw new IllegalArgumentException("expected a " + n + "x" + n + " matrix (" + ((long) n * n)
                    + " values), got " + a.length);
        }
    }

    private static final boolean VECTOR = KernelInfo.vectorAvailable();

    static double dot(double[] a, int ao, double[] b, int bo, int len) {
        if (VECTOR && len >= 16) return V.dot(a, ao, b, bo, len);
        double s = 0;
        for (int i = 0; i < len; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    static void axpy(double alpha, double[] x, int xo, double[] y, int yo, int len) {
        if (VECTOR && len >= 16) {
            V.axpy(alpha, x, xo, y, yo, len);
            return;
        }
        for (int i = 0; i < len; i++) y[yo + i] += alpha * x[xo + i];
    }

    private static final class V {
        static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
        static final int L = S.length();

        static double dot(double[] a, int ao, double[] b, int bo, int len) {
            DoubleVector s0 = DoubleVector.zero(S), s1 = DoubleVector.zero(S);
            int i = 0;
            for (; i + 2 * L <= len; i += 2 * L) {
                s0 = DoubleVector.fromArray(S, a, ao + i).fma(DoubleVector.fromArray(S, b, bo + i), s0);
                s1 = DoubleVector.fromArray(S, a, ao + i + L).fma(DoubleVector.fromArray(S, b, bo + i + L), s1);
            }
            double s = s0.add(s1).reduceLanes(VectorOperators.ADD);
            for (; i < len; i++) s += a[ao + i] * b[bo + i];
            return s;
        }

        static void axpy(double alpha, double[] x, int xo, double[] y, int yo, int len) {
            DoubleVector av = DoubleVector.broadcast(S, alpha);
            int i = 0;
            for (; i + L <= len; i += L) {
                DoubleVector.fromArray(S, x, xo + i).fma(av, DoubleVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
            }
            for (; i < len; i++) y[yo + i] += alpha * x[xo + i];
        }
    }
}
