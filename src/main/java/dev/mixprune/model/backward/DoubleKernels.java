package dev.mixprune.model.backward;

/**
 * The dense double-precision kernels of the training forward and backward. Activations are
 * row-major [tokens][features]; weights are row-major [out][in] as in llama2.c. Each kernel is
 * written as an axpy over a contiguous row (so C2 vectorises the inner loop) and has a naive
 * reference in {@link Naive} that the tests compare against.
 */
public final class DoubleKernels {
    private DoubleKernels() {}

    /**
     * y[t][o] = sum_i x[t][i] * w[o][i] (y = x W^T), overwriting y.
     *
     * @param wT scratch of at least in*out doubles: W is transposed into it first so the inner
     *           loop runs along contiguous output rows
     */
    public static void matmulWT(double[] x, int tokens, int in, double[] w, int out, double[] y, double[] wT) {
        for (int o = 0; o < out; o++) {
            int wo = o * in;
            for (int i = 0; i < in; i++) wT[i * out + o] = w[wo + i];
        }
        java.util.Arrays.fill(y, 0, tokens * out, 0.0);
        for (int t = 0; t < tokens; t++) {
            int yo = t * out, xo = t * in;
            for (int i = 0; i < in; i++) {
                double a = x[xo + i];
                if (a == 0.0) continue;
                int wi = i * out;
                for (int o = 0; o < out; o++) y[yo + o] += a * wT[wi + o];
            }
        }
    }

    /** dx[t][i] += sum_o dy[t][o] * w[o][i] (input gradient of y = x W^T). */
    public static void addDx(double[] dy, int tokens, int out, double[] w, int in, double[] dx) {
        for (int t = 0; t < tokens; t++) {
            int dyo = t * out, dxo = t * in;
            for (int o = 0; o < out; o++) {
                double g = dy[dyo + o];
                if (g == 0.0) continue;
                int wo = o * in;
                for (int i = 0; i < in; i++) dx[dxo + i] += g * w[wo + i];
            }
        }
    }

    /** dw[o][i] += sum_t dy[t][o] * x[t][i] (weight gradient of y = x W^T). */
    public static void addDw(double[] dy, int tokens, int out, double[] x, int in, double[] dw) {
        for (int o = 0; o < out; o++) {
            int wo = o * in;
            for (int t = 0; t < tokens; t++) {
                double g = dy[t * out + o];
                if (g == 0.0) continue;
                int xo = t * in;
                for (int i = 0; i < in; i++) dw[wo + i] += g * x[xo + i];
            }
        }
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
