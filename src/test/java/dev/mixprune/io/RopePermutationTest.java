package dev.mixprune.io;

import dev.mixprune.tensor.Matrix;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class RopePermutationTest {

    @Property(tries = 50)
    void fromHfUndoesToHf(@ForAll @IntRange(min = 1, max = 5) int heads, @ForAll @IntRange(min = 1, max = 6) int halfHead,
                          @ForAll @IntRange(min = 1, max = 7) int cols, @ForAll long seed) {
        Matrix m = random(heads * 2 * halfHead, cols, seed);
        Matrix hf = RopePermutation.toHf(m, heads);
        assertThat(RopePermutation.fromHf(hf, heads).data()).isEqualTo(m.data());
        if (halfHead > 1) assertThat(hf.data()).isNotEqualTo(m.data());
    }

    /**
     * The meaning of the permutation: interleaved-pair RoPE on q = W x equals rotate_half RoPE on
     * q' = toHf(W) x, up to the same row permutation. This pins the direction (HF = permute(meta)).
     */
    @Property(tries = 50)
    void rotateHalfOnHfWeightsMatchesInterleavedOnMetaWeights(@ForAll @IntRange(min = 1, max = 4) int heads, @ForAll @IntRange(min = 1, max = 5) int halfHead,
                                                              @ForAll @IntRange(min = 0, max = 300) int pos, @ForAll long seed) {
        int hs = 2 * halfHead, rows = heads * hs, cols = 5;
        Matrix w = random(rows, cols, seed);
        double[] x = new double[cols];
        SplittableRandom r = new SplittableRandom(seed ^ 99);
        for (int i = 0; i < cols; i++) x[i] = r.nextGaussian();
        double[] qMeta = mul(w, x), qHf = mul(RopePermutation.toHf(w, heads), x);
        for (int h = 0; h < heads; h++) {
            double[] a = new double[hs], b = new double[hs];
            for (int j = 0; j < halfHead; j++) {
                double th = pos * Math.pow(10000, -2.0 * j / hs), c = Math.cos(th), s = Math.sin(th);
                // Meta: adjacent pairs.
                double x0 = qMeta[h * hs + 2 * j], x1 = qMeta[h * hs + 2 * j + 1];
                a[2 * j] = x0 * c - x1 * s;
                a[2 * j + 1] = x0 * s + x1 * c;
                // HF: rotate_half pairs (j, j + hs/2).
                double y0 = qHf[h * hs + j], y1 = qHf[h * hs + j + halfHead];
                b[j] = y0 * c - y1 * s;
                b[j + halfHead] = y1 * c + y0 * s;
            }
            for (int j = 0; j < halfHead; j++) {
                assertThat(b[j]).isCloseTo(a[2 * j], org.assertj.core.data.Offset.offset(1e-9));
                assertThat(b[j + halfHead]).isCloseTo(a[2 * j + 1], org.assertj.core.data.Offset.offset(1e-9));
            }
        }
    }

    private static double[] mul(Matrix w, double[] x) {
        double[] y = new double[w.rows()];
        for (int i = 0; i < w.rows(); i++) for (int j = 0; j < w.cols(); j++) y[i] += w.get(i, j) * x[j];
        return y;
    }

    private static Matrix random(int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
        return new Matrix(rows, cols, d);
    }
}
