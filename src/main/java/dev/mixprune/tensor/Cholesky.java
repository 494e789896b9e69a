package dev.mixprune.tensor;

import jdk.incubator.vector.DoubleVector;
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
     *
     * <p>Blocked left-looking: for each block of NB columns [j0, j1), (1) the rows of the diagonal
     * block subtract their products with the finished columns [0, j0); (2) the diagonal block is
     * factored; (3) every row below, independently and in parallel, subtracts its products with
     * the finished columns (a GEMM-like update, register-tiled 4 rows x 2 rows so each loaded
     * vector feeds several FMAs) and then solves against the diagonal block. The block's rows
     * (NB x j0) are re-read from cache by every row below, instead of the whole triangle being
     * streamed from memory once per column as in the unblocked algorithm.
     */
    public static void factorInPlace(double[] a, int n) {
        checkSquare(a, n);
        for (int i = 0; i < n; i++) java.util.Arrays.fill(a, i * n + i + 1, (i + 1) * n, 0.0);
        boolean parallel = n >= PARALLEL_N && !ThreadTeam.insideTask();
        ThreadTeam team = ThreadTeam.shared();
        for (int j0 = 0; j0 < n; j0 += NB) {
            final int b0 = j0, b1 = Math.min(n, j0 + NB);
            // (1) diagonal block rows: a[i][j] -= L[i][0..j0) . L[j][0..j0) for j0 <= j <= i < j1
            for (int i = b0; i < b1; i++) {
                int ri = i * n;
                for (int j = b0; j <= i; j++) a[ri + j] -= dot(a, ri, a, j * n, b0);
            }
            // (2) factor the diagonal block using only its own columns
            for (int j = b0; j < b1; j++) {
                int rj = j * n;
                double d = a[rj + j] - dot(a, rj + b0, a, rj + b0, j - b0);
                if (!(d > 0) || Double.isInfinite(d)) throw new NotPositiveDefiniteException(j, d, n);
                double ljj = Math.sqrt(d);
                a[rj + j] = ljj;
                for (int i = j + 1; i < b1; i++) {
                    int ri = i * n;
                    a[ri + j] = (a[ri + j] - dot(a, ri + b0, a, rj + b0, j - b0)) / ljj;
                }
            }
            // (3) rows below the block
            if (b1 >= n) break;
            ThreadTeam.RangeBody below = (lo, hi) -> {
                updatePanel(a, n, b0, b1, lo, hi);
                for (int i = lo; i < hi; i++) solveRow(a, n, b0, b1, i);
            };
            int rows = n - b1;
            if (parallel && (long) rows * (b0 + NB) * NB > 1 << 16) {
                team.forRange(b1, n, 8, below);
            } else {
                below.run(b1, n);
            }
        }
    }

    /** Column block width of the blocked factorization. */
    static final int NB = 48;

    /**
     * Rows [lo, hi): a[i][j] -= L[i][0..j0) . L[j][0..j0) for j in [j0, j1). Every element gets the
     * same arithmetic whichever path computes it (one vector accumulator per KB chunk, a fixed-order
     * lane sum, the scalar tail, then the subtraction), so the result does not depend on how the
     * rows were split over threads.
     */
    private static void updatePanel(double[] a, int n, int j0, int j1, int lo, int hi) {
        if (j0 == 0) return;
        if (!VECTOR) {
            for (int i = lo; i < hi; i++) {
                int ri = i * n;
                for (int j = j0; j < j1; j++) a[ri + j] -= dot(a, ri, a, j * n, j0);
            }
            return;
        }
        // Chunks of KB columns: the block's rows (NB x KB doubles) then stay in L2 while every
        // 4-row group passes over them, instead of NB x j0 being re-read from L3 or memory.
        for (int p0 = 0; p0 < j0; p0 += KB) {
            int p1 = Math.min(j0, p0 + KB);
            int i = lo;
            for (; i + 4 <= hi; i += 4) {
                int j = j0;
                for (; j + 2 <= j1; j += 2) V.update4x2(a, n, i, j, p0, p1);
                for (; j < j1; j++) {
                    for (int r = 0; r < 4; r++) V.update1(a, n, i + r, j, p0, p1);
                }
            }
            for (; i < hi; i++) {
                for (int j = j0; j < j1; j++) V.update1(a, n, i, j, p0, p1);
            }
        }
    }

    /** Column chunk of the panel update (see {@link #updatePanel}). */
    static final int KB = 768;

    /** Row i below the block: forward substitution against the factored diagonal block. */
    private static void solveRow(double[] a, int n, int j0, int j1, int i) {
        int ri = i * n;
        for (int j = j0; j < j1; j++) {
            int rj = j * n;
            double s = a[ri + j];
            for (int p = j0; p < j; p++) s -= a[ri + p] * a[rj + p];
            a[ri + j] = s / a[rj + j];
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
        // J H J reverses both indices, i.e. the flat row-major array: (J H J)[i][j] = h[n²-1-(i n + j)].
        double[] w = new double[n * n];
        for (int q = 0; q < w.length; q++) w[q] = h[w.length - 1 - q];
        try {
            factorInPlace(w, n);
        } catch (NotPositiveDefiniteException e) {
            // Report the pivot in H's own numbering.
            throw new NotPositiveDefiniteException(n - 1 - e.pivot(), e.value(), n);
        }
        double[] u = invertLower(w, n);     // (L')⁻¹, lower
        w = null;                            // let the factor go before anything else is allocated
        // U = J (L')⁻¹ J: reverse the flat array in place; the lower triangle becomes the upper.
        for (int q = 0, r = u.length - 1; q < r; q++, r--) {
            double t = u[q];
            u[q] = u[r];
            u[r] = t;
        }
        return u;
    }

    /** Replaces the lower-triangular L (positive diagonal) by L⁻¹ (see {@link #invertLower}). */
    public static void invertLowerInPlace(double[] l, int n) {
        double[] x = invertLower(l, n);
        System.arraycopy(x, 0, l, 0, n * n);
    }

    /**
     * L⁻¹ of a lower-triangular L with non-zero diagonal, as a new array. Columns of the inverse
     * are independent (column c solves L x = e_c), so blocks of CB columns run in parallel. A block
     * is kept as a [rows][CB] buffer; row i of it is e_i minus the sum over p &lt; i of L[i][p]
     * times buffer row p, divided by L[i][i]: one broadcast of L[i][p] feeds CB/L FMAs, and four
     * rows are done together so each buffer row loaded feeds four of them.
     */
    public static double[] invertLower(double[] l, int n) {
        checkSquare(l, n);
        double[] x = new double[n * n];
        int cb = VECTOR ? V.CB : 16;
        int blocks = (n + cb - 1) / cb;
        ThreadTeam.RangeBody body = (lo, hi) -> {
            for (int b = lo; b < hi; b++) {
                int c0 = b * cb, c1 = Math.min(n, c0 + cb);
                invertBlock(l, n, c0, c1, cb, x);
            }
        };
        if (n >= PARALLEL_N && !ThreadTeam.insideTask()) ThreadTeam.shared().forRange(0, blocks, 1, body);
        else body.run(0, blocks);
        return x;
    }

    /** Columns [c0, c1) of L⁻¹ into x. buf[(p - c0) * cb + (c - c0)] = X[p][c]. */
    private static void invertBlock(double[] l, int n, int c0, int c1, int cb, double[] x) {
        int rows = n - c0;
        double[] buf = new double[rows * cb];
        int w = c1 - c0;
        int i = c0;
        // Rows inside the block (triangular part) and, without the Vector API or for a partial
        // last block, every row: plain substitution.
        boolean vec = VECTOR && w == cb;
        int scalarEnd = vec ? c1 : n;
        for (; i < scalarEnd; i++) {
            int ri = i * n, bi = (i - c0) * cb;
            double inv = 1.0 / l[ri + i];
            for (int c = c0; c < c1 && c <= i; c++) {
                double s = c == i ? 1.0 : 0.0;
                for (int p = c; p < i; p++) s -= l[ri + p] * buf[(p - c0) * cb + (c - c0)];
                buf[bi + (c - c0)] = s * inv;
            }
        }
        if (vec) {
            for (; i + 4 <= n; i += 4) V.invert4(l, n, c0, i, buf);
            for (; i < n; i++) V.invert1(l, n, c0, i, buf);
        }
        for (int p = c0; p < n; p++) {
            System.arraycopy(buf, (p - c0) * cb, x, p * n + c0, Math.min(w, p - c0 + 1));
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
        /** Column block of the inverse: four vectors wide. */
        static final int CB = 4 * L;

        /**
         * a[i+r][j+q] -= L[i+r][p0..p1) . L[j+q][p0..p1) for r < 4, q < 2: eight accumulators; per
         * step six loads feed eight FMAs.
         */
        static void update4x2(double[] a, int n, int i, int j, int p0, int p1) {
            int i0 = i * n, i1 = i0 + n, i2 = i1 + n, i3 = i2 + n, q0 = j * n, q1 = q0 + n;
            DoubleVector s00 = DoubleVector.zero(S), s01 = DoubleVector.zero(S);
            DoubleVector s10 = DoubleVector.zero(S), s11 = DoubleVector.zero(S);
            DoubleVector s20 = DoubleVector.zero(S), s21 = DoubleVector.zero(S);
            DoubleVector s30 = DoubleVector.zero(S), s31 = DoubleVector.zero(S);
            int end = p0 + (p1 - p0) / L * L;
            for (int p = p0; p < end; p += L) {
                DoubleVector b0 = DoubleVector.fromArray(S, a, q0 + p);
                DoubleVector b1 = DoubleVector.fromArray(S, a, q1 + p);
                DoubleVector x = DoubleVector.fromArray(S, a, i0 + p);
                s00 = x.fma(b0, s00);
                s01 = x.fma(b1, s01);
                x = DoubleVector.fromArray(S, a, i1 + p);
                s10 = x.fma(b0, s10);
                s11 = x.fma(b1, s11);
                x = DoubleVector.fromArray(S, a, i2 + p);
                s20 = x.fma(b0, s20);
                s21 = x.fma(b1, s21);
                x = DoubleVector.fromArray(S, a, i3 + p);
                s30 = x.fma(b0, s30);
                s31 = x.fma(b1, s31);
            }
            double t00 = LaneMath.sum(s00), t01 = LaneMath.sum(s01);
            double t10 = LaneMath.sum(s10), t11 = LaneMath.sum(s11);
            double t20 = LaneMath.sum(s20), t21 = LaneMath.sum(s21);
            double t30 = LaneMath.sum(s30), t31 = LaneMath.sum(s31);
            for (int p = end; p < p1; p++) {
                double b0 = a[q0 + p], b1 = a[q1 + p];
                t00 += a[i0 + p] * b0;
                t01 += a[i0 + p] * b1;
                t10 += a[i1 + p] * b0;
                t11 += a[i1 + p] * b1;
                t20 += a[i2 + p] * b0;
                t21 += a[i2 + p] * b1;
                t30 += a[i3 + p] * b0;
                t31 += a[i3 + p] * b1;
            }
            a[i0 + j] -= t00;
            a[i0 + j + 1] -= t01;
            a[i1 + j] -= t10;
            a[i1 + j + 1] -= t11;
            a[i2 + j] -= t20;
            a[i2 + j + 1] -= t21;
            a[i3 + j] -= t30;
            a[i3 + j + 1] -= t31;
        }

        /** One element of {@link #update4x2}, with exactly its arithmetic: a[i][j] -= L[i][p0..p1) . L[j][p0..p1). */
        static void update1(double[] a, int n, int i, int j, int p0, int p1) {
            int ri = i * n, rj = j * n;
            DoubleVector s = DoubleVector.zero(S);
            int end = p0 + (p1 - p0) / L * L;
            for (int p = p0; p < end; p += L) s = DoubleVector.fromArray(S, a, ri + p).fma(DoubleVector.fromArray(S, a, rj + p), s);
            double t = LaneMath.sum(s);
            for (int p = end; p < p1; p++) t += a[ri + p] * a[rj + p];
            a[ri + j] -= t;
        }

        /**
         * Rows i..i+3 (all below the block, so their right-hand side is zero) of the inverse's
         * column block: buf row r = -(sum over p in [c0, i+r) of L[i+r][p] buf row p) / L[i+r][i+r].
         * The shared range p &lt; i runs with 16 accumulators; the 3 in-group terms follow.
         */
        static void invert4(double[] l, int n, int c0, int i, double[] buf) {
            int r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
            DoubleVector a00 = DoubleVector.zero(S), a01 = DoubleVector.zero(S), a02 = DoubleVector.zero(S), a03 = DoubleVector.zero(S);
            DoubleVector a10 = DoubleVector.zero(S), a11 = DoubleVector.zero(S), a12 = DoubleVector.zero(S), a13 = DoubleVector.zero(S);
            DoubleVector a20 = DoubleVector.zero(S), a21 = DoubleVector.zero(S), a22 = DoubleVector.zero(S), a23 = DoubleVector.zero(S);
            DoubleVector a30 = DoubleVector.zero(S), a31 = DoubleVector.zero(S), a32 = DoubleVector.zero(S), a33 = DoubleVector.zero(S);
            for (int p = c0; p < i; p++) {
                int bp = (p - c0) * CB;
                DoubleVector x0 = DoubleVector.fromArray(S, buf, bp);
                DoubleVector x1 = DoubleVector.fromArray(S, buf, bp + L);
                DoubleVector x2 = DoubleVector.fromArray(S, buf, bp + 2 * L);
                DoubleVector x3 = DoubleVector.fromArray(S, buf, bp + 3 * L);
                DoubleVector f = DoubleVector.broadcast(S, l[r0 + p]);
                a00 = f.fma(x0, a00);
                a01 = f.fma(x1, a01);
                a02 = f.fma(x2, a02);
                a03 = f.fma(x3, a03);
                f = DoubleVector.broadcast(S, l[r1 + p]);
                a10 = f.fma(x0, a10);
                a11 = f.fma(x1, a11);
                a12 = f.fma(x2, a12);
                a13 = f.fma(x3, a13);
                f = DoubleVector.broadcast(S, l[r2 + p]);
                a20 = f.fma(x0, a20);
                a21 = f.fma(x1, a21);
                a22 = f.fma(x2, a22);
                a23 = f.fma(x3, a23);
                f = DoubleVector.broadcast(S, l[r3 + p]);
                a30 = f.fma(x0, a30);
                a31 = f.fma(x1, a31);
                a32 = f.fma(x2, a32);
                a33 = f.fma(x3, a33);
            }
            // row i
            int b0 = (i - c0) * CB;
            double s = -1.0 / l[r0 + i];
            a00 = a00.mul(s);
            a01 = a01.mul(s);
            a02 = a02.mul(s);
            a03 = a03.mul(s);
            a00.intoArray(buf, b0);
            a01.intoArray(buf, b0 + L);
            a02.intoArray(buf, b0 + 2 * L);
            a03.intoArray(buf, b0 + 3 * L);
            // row i+1 adds L[i+1][i] * row i
            DoubleVector f = DoubleVector.broadcast(S, l[r1 + i]);
            s = -1.0 / l[r1 + i + 1];
            a10 = f.fma(a00, a10).mul(s);
            a11 = f.fma(a01, a11).mul(s);
            a12 = f.fma(a02, a12).mul(s);
            a13 = f.fma(a03, a13).mul(s);
            int b1 = b0 + CB;
            a10.intoArray(buf, b1);
            a11.intoArray(buf, b1 + L);
            a12.intoArray(buf, b1 + 2 * L);
            a13.intoArray(buf, b1 + 3 * L);
            // row i+2 adds rows i and i+1
            f = DoubleVector.broadcast(S, l[r2 + i]);
            DoubleVector g = DoubleVector.broadcast(S, l[r2 + i + 1]);
            s = -1.0 / l[r2 + i + 2];
            a20 = g.fma(a10, f.fma(a00, a20)).mul(s);
            a21 = g.fma(a11, f.fma(a01, a21)).mul(s);
            a22 = g.fma(a12, f.fma(a02, a22)).mul(s);
            a23 = g.fma(a13, f.fma(a03, a23)).mul(s);
            int b2 = b1 + CB;
            a20.intoArray(buf, b2);
            a21.intoArray(buf, b2 + L);
            a22.intoArray(buf, b2 + 2 * L);
            a23.intoArray(buf, b2 + 3 * L);
            // row i+3 adds rows i, i+1, i+2
            f = DoubleVector.broadcast(S, l[r3 + i]);
            g = DoubleVector.broadcast(S, l[r3 + i + 1]);
            DoubleVector h = DoubleVector.broadcast(S, l[r3 + i + 2]);
            s = -1.0 / l[r3 + i + 3];
            a30 = h.fma(a20, g.fma(a10, f.fma(a00, a30))).mul(s);
            a31 = h.fma(a21, g.fma(a11, f.fma(a01, a31))).mul(s);
            a32 = h.fma(a22, g.fma(a12, f.fma(a02, a32))).mul(s);
            a33 = h.fma(a23, g.fma(a13, f.fma(a03, a33))).mul(s);
            int b3 = b2 + CB;
            a30.intoArray(buf, b3);
            a31.intoArray(buf, b3 + L);
            a32.intoArray(buf, b3 + 2 * L);
            a33.intoArray(buf, b3 + 3 * L);
        }

        /** One row below the block (the remainder of {@link #invert4}). */
        static void invert1(double[] l, int n, int c0, int i, double[] buf) {
            int r0 = i * n;
            DoubleVector a0 = DoubleVector.zero(S), a1 = DoubleVector.zero(S), a2 = DoubleVector.zero(S), a3 = DoubleVector.zero(S);
            for (int p = c0; p < i; p++) {
                int bp = (p - c0) * CB;
                DoubleVector f = DoubleVector.broadcast(S, l[r0 + p]);
                a0 = f.fma(DoubleVector.fromArray(S, buf, bp), a0);
                a1 = f.fma(DoubleVector.fromArray(S, buf, bp + L), a1);
                a2 = f.fma(DoubleVector.fromArray(S, buf, bp + 2 * L), a2);
                a3 = f.fma(DoubleVector.fromArray(S, buf, bp + 3 * L), a3);
            }
            int b0 = (i - c0) * CB;
            double s = -1.0 / l[r0 + i];
            a0.mul(s).intoArray(buf, b0);
            a1.mul(s).intoArray(buf, b0 + L);
            a2.mul(s).intoArray(buf, b0 + 2 * L);
            a3.mul(s).intoArray(buf, b0 + 3 * L);
        }

        static double dot(double[] a, int ao, double[] b, int bo, int len) {
            DoubleVector s0 = DoubleVector.zero(S), s1 = DoubleVector.zero(S);
            int i = 0;
            for (; i + 2 * L <= len; i += 2 * L) {
                s0 = DoubleVector.fromArray(S, a, ao + i).fma(DoubleVector.fromArray(S, b, bo + i), s0);
                s1 = DoubleVector.fromArray(S, a, ao + i + L).fma(DoubleVector.fromArray(S, b, bo + i + L), s1);
            }
            double s = LaneMath.sum(s0.add(s1));
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
