package dev.mixprune.sparse;

import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The prefill kernel, float and 8-bit values, against the double dense-expansion references. */
class SparsePrefillTest {

    @ParameterizedTest
    @CsvSource({"1,1,2,4", "3,7,2,4", "17,33,2,8", "64,172,2,8", "33,100,3,8", "5,13,1,4", "40,129,7,8", "9,50,5,16", "31,64,4,8", "3,100,1,2",
            "5,70,4,16", "7,300,8,16", "300,301,2,8", "11,97,3,5", "13,200,2,3", "9,130,5,32", "6,150,3,40", "4,300,1,64", "21,64,1,8",
            "2,33,1,128", "70,2048,2,4", "40,1024,2,8", "12,256,1,32", "8,160,16,32", "10,45,1,3", "8,96,3,4", "19,96,7,8"})
    void prefillMatchesTheReference(int rows, int cols, int n, int m) {
        Matrix dense = SparseKernelsTest.randomNM(rows, cols, n, m, rows * 13L + cols + m);
        PackedNM p = PackedNM.pack(dense, n, m);
        PackedNMQ8 q = PackedNMQ8.quantize(p);
        for (int tokens : new int[]{1, 5, 33, 70}) {
            Matrix x = SparseKernelsTest.random(tokens, cols, tokens * 3L + 1);
            check(SparsePrefill.gemm(x, p), SparseKernels.gemmReference(x, p), cols, "f32 tokens " + tokens);
            check(SparsePrefill.gemm(x, q), SparseQ8Kernels.gemmReference(x, q), cols, "q8 tokens " + tokens);
        }
    }

    private static void check(Matrix got, Matrix want, int cols, String what) {
        assertThat(got.rows()).isEqualTo(want.rows());
        assertThat(got.cols()).isEqualTo(want.cols());
        double tol = 2e-5 * Math.sqrt(cols);
        for (int i = 0; i < got.size(); i++) {
            float w = want.data()[i];
            assertThat(got.data()[i]).as("%s idx %d", what, i).isCloseTo(w, within((float) (tol * (1 + Math.abs(w)))));
        }
    }
}
