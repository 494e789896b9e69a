package dev.mixprune.model;

import dev.mixprune.sparse.PackedNM;
import dev.mixprune.sparse.SparseKernels;
import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Gemv;
import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;

/** Products with a linear weight in whatever storage it has: dense kernels or packed N:M kernels. */
public final class Linear {
    private Linear() {}

    /** Y [tokens, rows] = X [tokens, cols] * W^T (prefill / batched forward). */
    public static Matrix nt(Matrix x, LinearWeight w) {
        return switch (w) {
            case Matrix d -> Gemm.nt(x, d);
            case PackedNM p -> SparseKernels.gemm(x, p);
            default -> throw new IllegalStateException("unknown weight storage " + w.getClass().getName());
        };
    }

    /**
     * Dense weights up to this many values use {@link #smallGemv}: a product of a few thousand FMAs
     * takes microseconds either way, but Vector-API code runs ~100x slower until C2 has compiled it
     * (interpreted and C1 code allocate an object per vector operation). A tiny model's whole
     * generation run (stories260K: 256 tokens) used to finish inside that warm-up (~70 tok/s
     * instead of thousands); plain scalar loops are fast from the first calls.
     */
    static final int SMALL_WEIGHTS = 1 << 15;

    /** y = W x (decode). */
    public static void gemv(LinearWeight w, float[] x, float[] y) {
        switch (w) {
            case Matrix d when d.size() <= SMALL_WEIGHTS -> smallGemv(d, x, y);
            case Matrix d -> Gemv.multiply(d, x, y);
            case PackedNM p -> SparseKernels.gemv(p, x, y);
            default -> throw new IllegalStateException("unknown weight storage " + w.getClass().getName());
        }
    }

    /** Scalar y = W x, four rows at a time (four independent accumulation chains). */
    static void smallGemv(Matrix w, float[] x, float[] y) {
        int rows = w.rows(), n = w.cols();
        if (x.length < n || y.length < rows) throw new IllegalArgumentException("gemv shapes " + w.shape() + " x[" + x.length + "] y[" + y.length + "]");
        float[] a = w.data();
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int o0 = r * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int c = 0; c < n; c++) {
                float xc = x[c];
                s0 += a[o0 + c] * xc;
                s1 += a[o1 + c] * xc;
                s2 += a[o2 + c] * xc;
                s3 += a[o3 + c] * xc;
            }
            y[r] = s0;
            y[r + 1] = s1;
            y[r + 2] = s2;
            y[r + 3] = s3;
        }
        for (; r < rows; r++) {
            float s = 0;
            for (int c = 0, o = r * n; c < n; c++) s += a[o + c] * x[c];
            y[r] = s;
        }
    }
}
