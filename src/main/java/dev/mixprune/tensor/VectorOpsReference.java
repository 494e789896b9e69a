package dev.mixprune.tensor;

/** Plain scalar loops (double accumulation where it reduces): the reference for {@link VectorOps}. */
public final class VectorOpsReference {
    private VectorOpsReference() {}

    public static float dot(float[] a, int ao, float[] b, int bo, int len) {
        double s = 0;
        for (int i = 0; i < len; i++) s += (double) a[ao + i] * b[bo + i];
        return (float) s;
    }

    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int len) {
        for (int i = 0; i < len; i++) y[yo + i] += alpha * x[xo + i];
    }

    public static void scale(float[] a, int off, int len, float s) {
        for (int i = 0; i < len; i++) a[off + i] *= s;
    }

    public static void rmsnorm(float[] out, int oo, float[] x, int xo, float[] gain, int len, float eps) {
        double ss = 0;
        for (int i = 0; i < len; i++) ss += (double) x[xo + i] * x[xo + i];
        double inv = 1.0 / Math.sqrt(ss / len + eps);
        for (int i = 0; i < len; i++) out[oo + i] = (float) (gain[i] * (x[xo + i] * inv));
    }

    public static void softmaxInPlace(float[] a, int off, int len) {
        if (len <= 0) return;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) max = Math.max(max, a[off + i]);
        double sum = 0;
        double[] e = new double[len];
        for (int i = 0; i < len; i++) {
            e[i] = Math.exp(a[off + i] - max);
            sum += e[i];
        }
        for (int i = 0; i < len; i++) a[off + i] = (float) (e[i] / sum);
    }

    public static double silu(double x) { return x / (1.0 + Math.exp(-x)); }

    public static void siluInPlace(float[] a, int off, int len) {
        for (int i = 0; i < len; i++) a[off + i] = (float) silu(a[off + i]);
    }

    public static void siluMul(float[] gate, int go, float[] up, int uo, int len) {
        for (int i = 0; i < len; i++) gate[go + i] = (float) (silu(gate[go + i]) * up[uo + i]);
    }

    public static void mul(float[] out, int oo, float[] a, int ao, float[] b, int bo, int len) {
        for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] * b[bo + i];
    }

    public static void add(float[] out, int oo, float[] a, int ao, float[] b, int bo, int len) {
        for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] + b[bo + i];
    }
}
