package dev.mixprune.model;

import dev.mixprune.sparse.NmMasks;
import dev.mixprune.sparse.PackedNM;
import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Gemv;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LinearTest {
    static Matrix random(int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Matrix m = new Matrix(rows, cols);
        for (int i = 0; i < m.size(); i++) m.data()[i] = (float) r.nextGaussian();
        return m;
    }

    @ParameterizedTest
    @CsvSource({"1,1", "3,7", "5,13", "4,64", "172,64", "64,172", "7,300", "512,64"})
    void smallGemvMatchesTheReference(int rows, int cols) {
        Matrix w = random(rows, cols, rows * 131L + cols);
        float[] x = random(1, cols, 9).data(), y = new float[rows], want = new float[rows];
        Gemv.smallGemv(w, x, y);
        Gemv.reference(w, x, want);
        for (int r = 0; r < rows; r++) assertThat(y[r]).isCloseTo(want[r], within(1e-5f * (float) Math.sqrt(cols) * (1 + Math.abs(want[r]))));
        // The dispatcher gives the same for a dense weight of any size.
        float[] y2 = new float[rows];
        Linear.gemv(w, x, y2);
        for (int r = 0; r < rows; r++) assertThat(y2[r]).isCloseTo(want[r], within(1e-5f * (float) Math.sqrt(cols) * (1 + Math.abs(want[r]))));
    }

    @ParameterizedTest
    @CsvSource({"37,100,2,8", "300,256,2,4", "20,50,3,8"})
    void packedDispatchEqualsDenseMasked(int rows, int cols, int n, int m) {
        Matrix dense = NmMasks.magnitude(random(rows, cols, 5), n, m);
        PackedNM p = PackedNM.pack(dense, n, m);
        float[] x = random(1, cols, 6).data(), yp = new float[rows], yd = new float[rows];
        Linear.gemv(p, x, yp);
        Gemv.reference(dense, x, yd);
        for (int r = 0; r < rows; r++) assertThat(yp[r]).isCloseTo(yd[r], within(1e-4f * (1 + Math.abs(yd[r]))));
        Matrix xs = random(19, cols, 7);
        Matrix got = Linear.nt(xs, p), want = Gemm.nt(xs, dense);
        for (int i = 0; i < got.size(); i++) assertThat(got.data()[i]).isCloseTo(want.data()[i], within(1e-4f * (1 + Math.abs(want.data()[i]))));
    }
}
