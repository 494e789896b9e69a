package dev.mixprune.model;

import dev.mixprune.tensor.Matrix;

/**
 * The naive double-precision forward of docs/algorithms.md §9.3: one sequence, plain loops,
 * everything in double (RoPE angles included). It exists to check the fast path; never optimise it.
 */
public final class ReferenceForward {
    private ReferenceForward() {}

    /** Logits [T][vocab] at every position of one causal sequence starting at position 0. */
    public static double[][] logits(LlamaWeights w, int[] tokens) {
        LlamaConfig c = w.config();
        int T = tokens.length, dim = c.dim(), hs = c.headSize(), kvDim = c.kvDim();
        double[] divisors = c.ropeScaling().divisors(hs, c.ropeTheta());
        double[][] x = new double[T][dim];
        for (int t = 0; t < T; t++) for (int i = 0; i < dim; i++) x[t][i] = w.tokenEmbedding().get(tokens[t], i);

        for (int l = 0; l < c.nLayers(); l++) {
            BlockWeights b = w.block(l);
            double[][] a = new double[T][];
            double[][] q = new double[T][], k = new double[T][], v = new double[T][];
            for (int t = 0; t < T; t++) {
                a[t] = rmsnorm(x[t], b.attNorm(), c.normEps());
                q[t] = linear(b, LayerKind.WQ, a[t]);
                k[t] = linear(b, LayerKind.WK, a[t]);
                v[t] = linear(b, LayerKind.WV, a[t]);
                rope(q[t], t, hs, c.ropeTheta(), divisors);
                rope(k[t], t, hs, c.ropeTheta(), divisors);
            }
            for (int t = 0; t < T; t++) {
                double[] o = new double[c.qDim()];
                for (int h = 0; h < c.nHeads(); h++) {
                    int g = h / (c.nHeads() / c.nKvHeads());
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int t2 = 0; t2 <= t; t2++) {
                        double dot = 0;
                        for (int i = 0; i < hs; i++) dot += q[t][h * hs + i] * k[t2][g * hs + i];
                        s[t2] = dot / Math.sqrt(hs);
                        max = Math.max(max, s[t2]);
                    }
                    double sum = 0;
                    for (int t2 = 0; t2 <= t; t2++) { s[t2] = Math.exp(s[t2] - max); sum += s[t2]; }
                    for (int t2 = 0; t2 <= t; t2++) {
                        for (int i = 0; i < hs; i++) o[h * hs + i] += s[t2] / sum * v[t2][g * hs + i];
                    }
                }
                double[] proj = linear(b, LayerKind.WO, o);
                for (int i = 0; i < dim; i++) x[t][i] += proj[i];
                assert kvDim > 0;
            }
            for (int t = 0; t < T; t++) {
                double[] bn = rmsnorm(x[t], b.ffnNorm(), c.normEps());
                double[] g1 = linear(b, LayerKind.W1, bn), g3 = linear(b, LayerKind.W3, bn);
                double[] mid = new double[g1.length];
                for (int i = 0; i < mid.length; i++) mid[i] = g1[i] / (1 + Math.exp(-g1[i])) * g3[i];
                double[] down = linear(b, LayerKind.W2, mid);
                for (int i = 0; i < dim; i++) x[t][i] += down[i];
            }
        }
        double[][] logits = new double[T][];
        for (int t = 0; t < T; t++) logits[t] = matvec(w.classifier(), rmsnorm(x[t], w.finalNorm(), c.normEps()));
        return logits;
    }

    static double[] rmsnorm(double[] x, float[] g, double eps) {
        double ss = 0;
        for (double e : x) ss += e * e;
        double scale = 1 / Math.sqrt(ss / x.length + eps);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = g[i] * x[i] * scale;
        return out;
    }

    /** W x + bias (when the block has one for this linear). */
    static double[] linear(BlockWeights b, LayerKind kind, double[] x) {
        double[] y = matvec(b.linear(kind), x);
        float[] bias = b.bias(kind);
        if (bias != null) for (int i = 0; i < y.length; i++) y[i] += bias[i];
        return y;
    }

    static double[] matvec(Matrix w, double[] x) {
        double[] y = new double[w.rows()];
        for (int r = 0; r < w.rows(); r++) {
            double s = 0;
            for (int i = 0; i < w.cols(); i++) s += w.get(r, i) * x[i];
            y[r] = s;
        }
        return y;
    }

    /** Meta interleaved RoPE on every head of x, in double; frequency j divided by {@code divisors[j]} (RoPE scaling). */
    static void rope(double[] x, int pos, int hs, double theta, double[] divisors) {
        for (int base = 0; base < x.length; base += hs) {
            for (int j = 0; j < hs / 2; j++) {
                double angle = pos * Math.pow(theta, -2.0 * j / hs) / divisors[j];
                double c = Math.cos(angle), s = Math.sin(angle);
                double x0 = x[base + 2 * j], x1 = x[base + 2 * j + 1];
                x[base + 2 * j] = x0 * c - x1 * s;
                x[base + 2 * j + 1] = x0 * s + x1 * c;
            }
        }
    }
}
