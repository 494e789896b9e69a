package dev.mixprune.model.backward;

import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;

/**
 * A deliberately naive double-precision forward, written position by position with a KV cache like
 * llama2.c run.c (algorithms.md 9.3), independent of {@link TrainingForward}'s batched code. Used to
 * check the training forward's loss and as the function finite differences are taken of.
 */
final class PositionwiseForward {
    private PositionwiseForward() {}

    /** Log-softmax rows of positions 0..T-2 ([T-1][V]) and the mean NLL in {@code out[0]}. */
    static double[][] logProbs(ParamSet p, int[] tokens, double[] meanNll) {
        LlamaConfig c = p.config();
        int T = tokens.length, D = c.dim(), Q = c.qDim(), KV = c.kvDim(), H = c.hiddenDim(), V = c.vocabSize();
        int hs = c.headSize(), nH = c.nHeads(), rep = nH / c.nKvHeads();
        double eps = Double.parseDouble(Float.toString(c.normEps()));
        double theta = Double.parseDouble(Float.toString(c.ropeTheta()));
        double[] divisors = c.ropeScaling().divisors(hs, theta);
        double[][][] kCache = new double[c.nLayers()][T][KV];
        double[][][] vCache = new double[c.nLayers()][T][KV];
        double[][] out = new double[T - 1][];
        double nll = 0;
        for (int pos = 0; pos < T - 1; pos++) {
            double[] x = new double[D];
            for (int i = 0; i < D; i++) x[i] = p.embedding[tokens[pos] * D + i];
            for (int l = 0; l < c.nLayers(); l++) {
                double[] a = norm(x, p.attNorm[l], eps);
                double[] q = linear(p, l, LayerKind.WQ, a, Q, D);
                double[] k = linear(p, l, LayerKind.WK, a, KV, D);
                double[] v = linear(p, l, LayerKind.WV, a, KV, D);
                for (int i = 0; i < Q; i += 2) {
                    int j = (i % hs) / 2;
                    double ang = pos * Math.pow(theta, -2.0 * j / hs) / divisors[j];
                    double q0 = q[i], q1 = q[i + 1];
                    q[i] = q0 * Math.cos(ang) - q1 * Math.sin(ang);
                    q[i + 1] = q0 * Math.sin(ang) + q1 * Math.cos(ang);
                    if (i < KV) {
                        double k0 = k[i], k1 = k[i + 1];
                        k[i] = k0 * Math.cos(ang) - k1 * Math.sin(ang);
                        k[i + 1] = k0 * Math.sin(ang) + k1 * Math.cos(ang);
                    }
                }
                kCache[l][pos] = k;
                vCache[l][pos] = v;
                double[] o = new double[Q];
                for (int h = 0; h < nH; h++) {
                    int g = h / rep;
                    double[] sc = new double[pos + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int t2 = 0; t2 <= pos; t2++) {
                        double s = 0;
                        for (int d = 0; d < hs; d++) s += q[h * hs + d] * kCache[l][t2][g * hs + d];
                        sc[t2] = s / Math.sqrt(hs);
                        max = Math.max(max, sc[t2]);
                    }
                    double sum = 0;
                    for (int t2 = 0; t2 <= pos; t2++) { sc[t2] = Math.exp(sc[t2] - max); sum += sc[t2]; }
                    for (int t2 = 0; t2 <= pos; t2++) {
                        for (int d = 0; d < hs; d++) o[h * hs + d] += sc[t2] / sum * vCache[l][t2][g * hs + d];
                    }
                }
                double[] ao = linear(p, l, LayerKind.WO, o, D, Q);
                for (int i = 0; i < D; i++) x[i] += ao[i];
                double[] b = norm(x, p.ffnNorm[l], eps);
                double[] u = linear(p, l, LayerKind.W1, b, H, D);
                double[] z = linear(p, l, LayerKind.W3, b, H, D);
                double[] s = new double[H];
                for (int i = 0; i < H; i++) s[i] = u[i] / (1 + Math.exp(-u[i])) * z[i];
                double[] f = linear(p, l, LayerKind.W2, s, D, H);
                for (int i = 0; i < D; i++) x[i] += f[i];
            }
            double[] n = norm(x, p.finalNorm, eps);
            double[] logits = matvec(p.classifier, n, V, D);
            double max = Double.NEGATIVE_INFINITY;
            for (double lg : logits) max = Math.max(max, lg);
            double sum = 0;
            for (double lg : logits) sum += Math.exp(lg - max);
            double logZ = max + Math.log(sum);
            for (int j = 0; j < V; j++) logits[j] -= logZ;
            out[pos] = logits;
            nll -= logits[tokens[pos + 1]];
        }
        if (meanNll != null) meanNll[0] = nll / (T - 1);
        return out;
    }

    static double loss(ParamSet p, int[] tokens) {
        double[] l = new double[1];
        logProbs(p, tokens, l);
        return l[0];
    }

    private static double[] norm(double[] x, double[] g, double eps) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double r = 1 / Math.sqrt(ss / x.length + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = g[i] * x[i] * r;
        return y;
    }

    /** W x (+ bias when the linear has one). */
    private static double[] linear(ParamSet p, int l, LayerKind k, double[] x, int rows, int cols) {
        double[] y = matvec(p.linear(l, k), x, rows, cols);
        double[] b = p.bias(l, k);
        if (b != null) for (int i = 0; i < rows; i++) y[i] += b[i];
        return y;
    }

    private static double[] matvec(double[] w, double[] x, int rows, int cols) {
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int i = 0; i < cols; i++) s += w[r * cols + i] * x[i];
            y[r] = s;
        }
        return y;
    }
}
