package dev.mixprune.tensor;

/**
 * Matrix-vector product y = W x for a [out][in] weight (decode path, memory-bound).
 * OWNER: tensor work (fast kernel replaces this body; the naive loop is the reference).
 */
public final class Gemv {
    private Gemv() {}

    public static void multiply(Matrix w, float[] x, float[] y) {
        reference(w, x, y);
    }

    public static void reference(Matrix w, float[] x, float[] y) {
        if (x.length < w.cols() || y.length < w.rows()) throw new IllegalArgumentException("gemv shapes " + w.shape() + " x[" + x.length + "] y[" + y.length + "]");
        float[] a = w.data();
        int n = w.cols();
        for (int r = 0; r < w.rows(); r++) {
            double s = 0;
            for (int c = 0; c < n; c++) s += (double) a[r * n + c] * x[c];
            y[r] = (float) s;
        }
    }
}
