package dev.mixprune.grad;

import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

/**
 * C = A·Bᵀ on the packed GEMM path only. {@code Gemm.nt} sends products with fewer than 32 rows or
 * columns to a multi-row GEMV whose lane reduction ({@code reduceLanes}) gives different bits in
 * interpreted and compiled code, so a result would depend on JIT timing. Here a narrow B (a small
 * weight, e.g. wk of a tiny model) is transposed and multiplied with NN, and a short A (few tokens)
 * is padded with zero rows; the packed kernels compute every element as one fixed-order sum, so
 * the real rows come out the same as in any larger product.
 */
final class Products {
    private Products() {}

    /** Below this many rows or columns {@code Gemm.nt} takes its skinny path (GemmVector.SKINNY_ROWS). */
    static final int SKINNY = 32;

    static void nt(Matrix a, Matrix b, Matrix c, boolean accumulate, ThreadTeam team) {
        if (b.rows() < SKINNY) {
            Gemm.nn(a, transpose(b), c, accumulate, team);
        } else if (a.rows() < SKINNY && a.rows() > 0) {
            int n = a.rows();
            Matrix ap = new Matrix(SKINNY, a.cols()), cp = new Matrix(SKINNY, c.cols());
            System.arraycopy(a.data(), 0, ap.data(), 0, a.size());
            if (accumulate) System.arraycopy(c.data(), 0, cp.data(), 0, c.size());
            Gemm.nt(ap, b, cp, accumulate, team);
            System.arraycopy(cp.data(), 0, c.data(), 0, n * c.cols());
        } else {
            Gemm.nt(a, b, c, accumulate, team);
        }
    }

    static Matrix transpose(Matrix m) {
        Matrix t = new Matrix(m.cols(), m.rows());
        float[] s = m.data(), d = t.data();
        int rows = m.rows(), cols = m.cols();
        for (int r = 0; r < rows; r++) for (int j = 0; j < cols; j++) d[j * rows + r] = s[r * cols + j];
        return t;
    }
}
