package dev.mixprune.model.backward;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The axpy-ordered kernels against their naive references on awkward sizes. */
class DoubleKernelsTest {

    @ParameterizedTest
    @CsvSource({"1,1,1", "3,5,7", "4,8,8", "17,13,29", "31,64,172", "9,172,64", "5,64,513", "8,3,16", "13,7,9"})
    void fastKernelsEqualNaive(int tokens, int in, int out) {
        Random rnd = new Random(tokens * 1000L + in * 10L + out);
        double[] x = random(tokens * in, rnd), w = random(out * in, rnd), dy = random(tokens * out, rnd);
        x[0] = 0.0; // the zero-skip path
        double[] y = new double[tokens * out], yRef = new double[tokens * out];
        DoubleKernels.matmulWT(x, tokens, in, w, out, y, new double[in * out]);
        DoubleKernels.Naive.matmulWT(x, tokens, in, w, out, yRef);
        assertClose(y, yRef);

        double[] c = random(tokens * out, rnd), cRef = c.clone();
        double[] wt = transpose(w, out, in);
        DoubleKernels.gemmAcc(x, wt, c, tokens, in, out);
        DoubleKernels.Naive.gemmAcc(x, wt, cRef, tokens, in, out);
        assertClose(c, cRef);

        double[] dx = random(tokens * in, rnd), dxRef = dx.clone();
        DoubleKernels.addDx(dy, tokens, out, w, in, dx);
        DoubleKernels.Naive.addDx(dy, tokens, out, w, in, dxRef);
        assertClose(dx, dxRef);

        double[] dw = random(out * in, rnd), dwRef = dw.clone();
        DoubleKernels.addDw(dy, tokens, out, x, in, dw, new double[tokens * out]);
        DoubleKernels.Naive.addDw(dy, tokens, out, x, in, dwRef);
        assertClose(dw, dwRef);
    }

    private static double[] transpose(double[] w, int rows, int cols) {
        double[] t = new double[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
        return t;
    }

    private static double[] random(int n, Random rnd) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextGaussian();
        return a;
    }

    private static void assertClose(double[] got, double[] want) {
        for (int i = 0; i < want.length; i++) {
            assertThat(Math.abs(got[i] - want[i])).as("index %d: %s vs %s", i, got[i], want[i])
                    .isLessThanOrEqualTo(1e-12 * Math.max(1.0, Math.abs(want[i])) * 10);
        }
    }
}
