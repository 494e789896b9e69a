package dev.mixprune.model.backward;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The dense double-precision kernels of the training forward and backward. Activations are
 * row-major [tokens][features]; weights are row-major [out][in] as in llama2.c. The three linear
 * products (forward, input gradient, weight gradient) all reduce to one register-tiled Vector API
 * kernel {@link #gemmAcc} after a transpose; each has a naive reference in {@link Naive} that the
 * tests compare against.
 */
public final class DoubleKernels {
    private DoubleKernels() {}

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = S.length();
    /** Rows of A per register tile. */
    private static final int MR = 4;

    /**
     * C[M][N] += A[M][K] B[K][N], all row-major. Register-tiled: 4 rows of C by 2 vectors of
     * columns stay in registers while k runs, so each loaded B vector feeds 4 FMAs and C is read
     * and written once per tile instead of once per k.
     */
    public static void gemmAcc(double[] a, double[] b, double[] c, int M, int K, int N) {
        int nVec = N - N % (2 * LANES);
        int m = 0;
        for (; m + MR <= M; m += MR) {
            int a0 = m * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
            int c0 = m * N, c1 = c0 + N, c2 = c1 + N, c3 = c2 + N;
            for (int n = 0; n < nVec; n += 2 * LANES) {
                DoubleVector x00 = DoubleVector.fromArray(S, c, c0 + n), x01 = DoubleVector.fromArray(S, c, c0 + n + LANES);
                DoubleVector x10 = DoubleVector.fromArray(S, c, c1 + n), x11 = DoubleVector.fromArray(S, c, c1 + n + LANES);
                DoubleVector x20 = DoubleVector.fromArray(S, c, c2 + n), x21 = DoubleVector.fromArray(S, c, c2 + n + LANES);
                DoubleVector x30 = DoubleVector.fromArray(S, c, c3 + n), x31 = DoubleVector.fromArray(S, c, c3 + n + LANES);
                for (int k = 0; k < K; k++) {
                    int bo = k * N + n;
                    DoubleVector b0 = DoubleVector.fromArray(S, b, bo), b1 = DoubleVector.fromArray(S, b, bo + LANES);
                    DoubleVector s0 = DoubleVector.broadcast(S, a[a0 + k]);
                    x00 = b0.fma(s0, x00); x01 = b1.fma(s0, x01);
                    DoubleVector s1 = DoubleVector.broadcast(S, a[a1 + k]);
                    x10 = b0.fma(s1, x10); x11 = b1.fma(s1, x11);
                    DoubleVector s2 = DoubleVector.broadcast(S, a[a2 + k]);
                    x20 = b0.fma(s2, x20); x21 = b1.fma(s2, x21);
                    DoubleVector s3 = DoubleVector.broadcast(S, a[a3 + k]);
                    x30 = b0.fma(s3, x30); x31 = b1.fma(s3, x31);
                }
                x00.intoArray(c, c0 + n); x01.intoArray(c, c0 + n + LANES);
                x10.intoArray(c, c1 + n); x11.intoArray(c, c1 + n + LANES);
                x20.intoArray(c, c2 + n); x21.intoArray(c, c2 + n + LANES);
                x30.intoArray(c, c3 + n); x31.intoArray(c, c3 + n + LANES);
            }
            if (nVec < N) scalarTile(a, b, c, m, m + MR, K, N, nVec);
        }
        if (m < M) scalarTile(a, b, c, m, M, K, N, 0);
    }

    /** Rows [m0, m1) and columns [n0, N) of gemmAcc, as row-wise axpys. */
    private static void scalarTile(double[] a, double[] b, double[] c, int m0, int m1, int K, int N, int n0) {
        for (int m = m0; m < m1; m++) {
            int co = m * N;
            for (int k = 0; k < K; k++) {
                double av = a[m * K + k];
                int bo = k * N;
                for (int n = n0; n < N; n++) c[co + n] += av * b[bo + n];
            }
        }
    }

    /** dst[c][r] = src[r][c] for a rows x cols source. */
    public static void transpose(double[] src, int rows, int cols, double[] dst) {
        for (int r = 0; r < rows; r++) {
            int so = r * cols;
            for (int c = 0; c < cols; c++) dst[c * rows + r] = src[so + c];
        }
    }

    /**
     * y[t][o] = sum_i x[t][i] * w[o][i] (y = x W^T), overwriting y.
     *
     * @param wT scratch of at least in*out doubles (W is transposed into it)
     */
    public static void matmulWT(double[] x, int tokens, int in, double[] w, int out, double[] y, double[] wT) {
        transpose(w, out, in, wT);
        java.util.Arrays.fill(y, 0, tokens * out, 0.0);
        gemmAcc(x, wT, y, tokens, in, out);
    }

    /** dx[t][i] += sum_o dy[t][o] * w[o][i] (input gradient of y = x W^T). */
    public static void addDx(double[] dy, int tokens, int out, double[] w, int in, double[] dx) {
        gemmAcc(dy, w, dx, tokens, out, in);
    }

    /**
     * dw[o][i] += sum_t dy[t][o] * x[t][i] (weight gradient of y = x W^T).
     *
     * @param dyT scratch of at least tokens*out doubles (dy is transposed into it)
     */
    public static void addDw(double[] dy, int tokens, int out, double[] x, int in, double[] dw, double[] dyT) {
        transpose(dy, tokens, out, dyT);
        gemmAcc(dyT, x, dw, out, tokens, in);
    }

    /**
     * RMSNorm of every row: y = g * x * r with r = 1/sqrt(mean(x^2) + eps); r is saved per row.
     */
    public static void rmsNorm(double[] x, int tokens, int dim, double[] g, double eps, double[] y, double[] r) {
        for (int t = 0; t < tokens; t++) {
            int o = t * dim;
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += x[o + i] * x[o + i];
            double rt = 1.0 / Math.sqrt(ss / dim + eps);
            r[t] = rt;
            for (int i = 0; i < dim; i++) y[o + i] = g[i] * x[o + i] * rt;
        }
    }

    /**
     * RMSNorm backward (algorithms.md 10.2): with n = x r and dn = g dy,
     * dg += sum_t dy n and dx += r (dn - n mean(dn n)).
     */
    public static void rmsNormBackward(double[] dy, double[] x, double[] r, int tokens, int dim, double[] g,
                                       double[] dx, double[] dg) {
        for (int t = 0; t < tokens; t++) {
            int o = t * dim;
            double rt = r[t];
            double dot = 0; // sum_i dn_i n_i
            for (int i = 0; i < dim; i++) {
                double n = x[o + i] * rt;
                double d = dy[o + i];
                dg[i] += d * n;
                dot += g[i] * d * n;
            }
            double mean = dot / dim;
            for (int i = 0; i < dim; i++) {
                double n = x[o + i] * rt;
                dx[o + i] += rt * (g[i] * dy[o + i] - n * mean);
            }
        }
    }

    /** Obviously-correct versions of the kernels above, for tests. */
    public static final class Naive {
        private Naive() {}

        public static void gemmAcc(double[] a, double[] b, double[] c, int M, int K, int N) {
            for (int m = 0; m < M; m++) {
                for (int n = 0; n < N; n++) {
                    double s = 0;
                    for (int k = 0; k < K; k++) s += a[m * K + k] * b[k * N + n];
                    c[m * N + n] += s;
                }
            }
        }

        public static void matmulWT(double[] x, int tokens, int in, double[] w, int out, double[] y) {
            for (int t = 0; t < tokens; t++) {
                for (int o = 0; o < out; o++) {
                    double s = 0;
                    for (int i = 0; i < in; i++) s += x[t * in + i] * w[o * in + i];
                    y[t * out + o] = s;
                }
            }
        }

        public static void addDx(double[] dy, int tokens, int out, double[] w, int in, double[] dx) {
            for (int t = 0; t < tokens; t++) {
                for (int i = 0; i < in; i++) {
                    double s = 0;
                    for (int o = 0; o < out; o++) s += dy[t * out + o] * w[o * in + i];
                    dx[t * in + i] += s;
                }
            }
        }

        public static void addDw(double[] dy, int tokens, int out, double[] x, int in, double[] dw) {
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    double s = 0;
                    for (int t = 0; t < tokens; t++) s += dy[t * out + o] * x[t * in + i];
                    dw[o * in + i] += s;
                }
            }
        }
    }
}
