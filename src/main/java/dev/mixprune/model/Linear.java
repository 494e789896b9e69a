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


    /** y = W x (decode). */
    public static void gemv(LinearWeight w, float[] x, float[] y) {
        switch (w) {
            case Matrix d -> Gemv.multiply(d, x, y);
            case PackedNM p -> SparseKernels.gemv(p, x, y);
            default -> throw new IllegalStateException("unknown weight storage " + w.getClass().getName());
        }
    }
}
