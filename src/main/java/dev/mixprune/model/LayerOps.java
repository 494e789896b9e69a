package dev.mixprune.model;

import dev.mixprune.tensor.Matrix;

/** The small element-wise pieces of the forward pass, on float arrays (kept simple so they vectorise). */
public final class LayerOps {
    private LayerOps() {}

    /** out[r] = g ⊙ x[r] / sqrt(mean(x[r]²) + eps) for every row; the sum of squares is kept in double. */
    public static Matrix rmsnorm(Matrix x, float[] g, float eps) {
        Matrix out = new Matrix(x.rows(), x.cols());
        for (int r = 0; r < x.rows(); r++) rmsnorm(x.data(), r * x.cols(), g, eps, out.data(), r * x.cols());
        return out;
    }

    static void rmsnorm(float[] x, int xOff, float[] g, float eps, float[] out, int outOff) {
        int n = g.length;
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double) x[xOff + i] * x[xOff + i];
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) out[outOff + i] = g[i] * (scale * x[xOff + i]);
    }

    /** Softmax of s[0..n) in place, in float with the max subtracted. */
    static void softmax(float[] s, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, s[i]);
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(s[i] - max);
            s[i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) s[i] *= inv;
    }

    /**
     * Causal attention of one query head at position t of a sequence: o = Σ_{t2≤t} softmax(q·k[t2]/√hs) v[t2].
     * q at qArr[qOff..], keys/values of the sequence at rows (kvBase + t2) with stride kvStride and
     * offset kvOff within the row. scores needs length ≥ t+1.
     */
    static void attendOne(float[] qArr, int qOff, float[] kArr, float[] vArr, int kvBase, int kvStride, int kvOff,
                          int t, int hs, float[] scores, float[] out, int outOff) {
        float scale = (float) (1.0 / Math.sqrt(hs));
        for (int t2 = 0; t2 <= t; t2++) {
            int ko = (kvBase + t2) * kvStride + kvOff;
            float dot = 0f;
            for (int i = 0; i < hs; i++) dot += qArr[qOff + i] * kArr[ko + i];
            scores[t2] = dot * scale;
        }
        softmax(scores, t + 1);
        for (int i = 0; i < hs; i++) out[outOff + i] = 0f;
        for (int t2 = 0; t2 <= t; t2++) {
            int vo = (kvBase + t2) * kvStride + kvOff;
            float p = scores[t2];
            for (int i = 0; i < hs; i++) out[outOff + i] += p * vArr[vo + i];
        }
    }
}
