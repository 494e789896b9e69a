package dev.mixprune.model;

import dev.mixprune.quant.Q8Kernels;
import dev.mixprune.quant.Q8Matrix;
import dev.mixprune.sparse.PackedNM;
import dev.mixprune.sparse.PackedNMQ8;
import dev.mixprune.sparse.SparseKernels;
import dev.mixprune.sparse.SparsePrefill;
import dev.mixprune.sparse.SparseQ8Kernels;
import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Gemv;
import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;

/** Products with a linear weight in whatever storage it has: dense (float or Q8_0) or packed N:M (float or 8-bit values). */
public final class Linear {
    private Linear() {}

    /** Y [tokens, rows] = X [tokens, cols] * W^T (prefill / batched forward). */
    public static Matrix nt(Matrix x, LinearWeight w) {
        return switch (w) {
            case Matrix d -> Gemm.nt(x, d);
            case PackedNM p -> SparsePrefill.gemm(x, p);
            case PackedNMQ8 p -> SparsePrefill.gemm(x, p);
            case Q8Matrix q -> Q8Kernels.gemm(x, q);
            default -> throw new IllegalStateException("unknown weight storage " + w.getClass().getName());
        };
    }

    /** y = W x (decode; 8-bit weights, dense Q8_0 or packed, quantize x to int8 per block of 32, as llama.cpp does). */
    public static void gemv(LinearWeight w, float[] x, float[] y) {
        switch (w) {
            case Matrix d -> Gemv.multiply(d, x, y);
            case PackedNM p -> SparseKernels.gemv(p, x, y);
            case PackedNMQ8 p -> SparseQ8Kernels.gemvQuantizedInput(p, x, y);
            case Q8Matrix q -> Q8Kernels.gemvQuantizedInput(q, x, y);
            default -> throw new IllegalStateException("unknown weight storage " + w.getClass().getName());
        }
    }
}
