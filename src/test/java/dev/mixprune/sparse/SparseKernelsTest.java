package dev.mixprune.sparse;

import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SparseKernelsTest {

    /** A random matrix with exactly min(N, group length) non-zeros per group at random positions. */
    static Matrix randomNM(int rows, int cols, int n, int m, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Matrix w = new Matrix(rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int c0 = 0; c0 < cols; c0 += m) {
                int len = Math.min(m, cols - c0);
                int[] perm = java.util.stream.IntStream.range(0, len).toArray();
                for (int i = len - 1; i > 0; i--) { int j = rnd.nextInt(i + 1); int t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
                for (int k = 0; k < Math.min(n, len); k++) w.set(r, c0 + perm[k], (float) rnd.nextGaussian());
            }
        }
        return w;
    }

    static Matrix random(int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Matrix x = new Matrix(rows, cols);
        for (int i = 0; i < x.size(); i++) x.data()[i] = (float) rnd.nextGaussian();
        return x;
    }

    @ParameterizedTest
    @CsvSource({"1,1,2,4", "3,7,2,4", "17,33,2,8", "64,172,2,8", "33,100,3,8", "5,13,1,4", "40,129,7,8", "9,50,5,16", "31,64,4,8", "3,100,1,2", "5,70,4,16", "7,300,8,16", "9,40,8,8", "6,200,2,4", "300,400,2,4", "300,301,2,8", "2,1000,1,4",
            "11,97,3,5", "13,200,2,3", "9,130,5,32", "6,150,3,40", "4,300,1,64", "5,40,1,16", "21,64,1,8", "3,31,2,4", "19,96,7,8", "2,33,1,128"})
    void packRoundTripsAndKernelsMatchReference(int rows, int cols, int n, int m) {
        Matrix w = randomNM(rows, cols, n, m, rows * 31L + cols);
        PackedNM p = PackedNM.pack(w, n, m);
        assertThat(p.toDense().data()).isEqualTo(w.data());
        assertThat(PackedNM.maxNonZerosPerGroup(w, m)).isLessThanOrEqualTo(n);

        float[] x = random(1, cols, 7).data();
        float[] y = new float[rows], yr = new float[rows];
        SparseKernels.gemv(p, x, y);
        SparseKernels.gemvReference(p, x, yr);
        for (int r = 0; r < rows; r++) assertThat(y[r]).isCloseTo(yr[r], within(1e-4f * (1 + Math.abs(yr[r]))));

        for (int tokens : new int[]{1, 5, 8, 33, 70}) {
            Matrix xs = random(tokens, cols, tokens);
            Matrix got = SparsePrefill.gemm(xs, p), want = SparseKernels.gemmReference(xs, p);
            for (int i = 0; i < got.size(); i++) {
                assertThat(got.data()[i]).as("tokens %d idx %d", tokens, i).isCloseTo(want.data()[i], within(1e-4f * (1 + Math.abs(want.data()[i]))));
            }
        }
    }

    @org.junit.jupiter.api.Test
    void packRejectsTooDenseGroups() {
        Matrix w = random(2, 8, 1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PackedNM.pack(w, 2, 4))
                .hasMessageContaining("row 0, group 0").hasMessageContaining("not 2:4 sparse");
    }

    @org.junit.jupiter.api.Test
    void storedBytesShrinkWithN() {
        PackedNM p = PackedNM.pack(randomNM(4096, 4096, 2, 8, 1), 2, 8);
        // 2:8: a quarter of the values plus 3-bit indices.
        assertThat(p.storedBytes(4)).isEqualTo(4096L * 1024 * 4 + 4096L * 1024 * 3 / 8);
        assertThat((double) p.storedBytes(4) / p.denseBytesF32()).isLessThan(0.3);
    }
}
