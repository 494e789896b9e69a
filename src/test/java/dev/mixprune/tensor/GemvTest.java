package dev.mixprune.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GemvTest {

    @ParameterizedTest(name = "gemv {0}x{1}")
    @CsvSource({"1,1", "1,17", "2,3", "3,7", "5,15", "7,31", "17,33", "31,63", "33,65", "63,127",
            "65,129", "129,1", "130,100", "1000,257", "2049,300", "300,4099"})
    void matchesReference(int rows, int cols) {
        SplittableRandom r = new SplittableRandom(rows * 1000L + cols);
        Matrix w = GemmTest.random(rows, cols, r);
        float[] x = GemmTest.random(1, cols + 3, r).data(); // longer x is allowed
        float[] y = new float[rows + 2];
        float[] yRef = new float[rows + 2];
        float[] bound = new float[rows + 2];
        y[rows] = yRef[rows] = 42f;
        Gemv.multiply(w, x, y);
        Gemv.reference(w, x, yRef);
        float[] ax = x.clone();
        for (int i = 0; i < ax.length; i++) ax[i] = Math.abs(ax[i]);
        Gemv.reference(GemmTest.abs(w), ax, bound);
        double tol = 2.0 * (cols + 2) * Math.ulp(1f);
        for (int i = 0; i < rows; i++) {
            if (Math.abs(y[i] - yRef[i]) > tol * bound[i] + 1e-30) {
                throw new AssertionError("row " + i + " fast=" + y[i] + " ref=" + yRef[i]);
            }
        }
        if (y[rows] != 42f) throw new AssertionError("wrote past the rows");
    }

    @Test
    void severalMatricesSharingTheInput() {
        SplittableRandom r = new SplittableRandom(77);
        int cols = 301;
        int[] rows = {512, 3, 129, 1000};
        Matrix[] ws = new Matrix[rows.length];
        float[][] ys = new float[rows.length][];
        float[] x = GemmTest.random(1, cols, r).data();
        for (int i = 0; i < rows.length; i++) {
            ws[i] = GemmTest.random(rows[i], cols, r);
            ys[i] = new float[rows[i]];
        }
        Gemv.multiply(ws, x, ys);
        for (int i = 0; i < rows.length; i++) {
            float[] single = new float[rows[i]];
            Gemv.multiply(ws[i], x, single);
            // same kernel on the same rows: bit-identical to the one-matrix call
            org.assertj.core.api.Assertions.assertThat(ys[i]).as("matrix " + i).containsExactly(single);
            float[] ref = new float[rows[i]];
            Gemv.reference(ws[i], x, ref);
            for (int q = 0; q < rows[i]; q++) {
                org.assertj.core.api.Assertions.assertThat((double) ys[i][q]).isCloseTo(ref[q],
                        org.assertj.core.api.Assertions.within(1e-4 * (1 + Math.abs(ref[q]))));
            }
        }
        assertThatThrownBy(() -> Gemv.multiply(new Matrix[]{ws[0]}, x, new float[2][]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsShortVectors() {
        assertThatThrownBy(() -> Gemv.multiply(new Matrix(3, 4), new float[3], new float[3]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gemv shapes 3x4");
        assertThatThrownBy(() -> Gemv.multiply(new Matrix(3, 4), new float[4], new float[2]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
