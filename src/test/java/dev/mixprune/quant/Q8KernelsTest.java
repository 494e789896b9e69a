package dev.mixprune.quant;

import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class Q8KernelsTest {

    static Matrix random(int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Matrix x = new Matrix(rows, cols);
        for (int i = 0; i < x.size(); i++) x.data()[i] = (float) (rnd.nextGaussian() * (1 + (i % 7)));
        return x;
    }

    @ParameterizedTest
    @CsvSource({"1,32", "3,64", "5,96", "7,160", "8,32", "9,224", "33,352", "130,512", "2,4096", "40,2048", "41,2080"})
    void kernelsMatchTheDequantizedReference(int rows, int cols) {
        Matrix dense = random(rows, cols, rows * 7L + cols);
        Q8Matrix w = Q8Matrix.quantize(dense);

        // The blocks are exactly ggml's Q8_0 of the rows, and widen to d * q.
        byte[] want = new byte[rows * cols / 32 * 34];
        GgmlBlocks.quantizeQ8_0(dense.data(), 0, dense.size(), want, 0);
        assertThat(w.blocks(0, rows)).isEqualTo(want);
        float[] deq = new float[dense.size()];
        GgmlBlocks.dequantizeQ8_0(want, 0, deq, 0, deq.length);
        assertThat(w.toDense().data()).isEqualTo(deq);
        assertThat(Q8Matrix.fromBlocks(rows, cols, MemorySegment.ofArray(want)).toDense().data()).isEqualTo(deq);

        float[] x = random(1, cols, 5).data();
        float[] y = new float[rows], yr = new float[rows], ys = new float[rows];
        Q8Kernels.gemv(w, x, y);
        Q8Kernels.gemvReference(w, x, yr);
        Q8Kernels.scalarRows(w, x, ys, 0, rows);
        double scale = Math.sqrt(cols) * 4;
        for (int r = 0; r < rows; r++) {
            assertThat(y[r]).as("row %d", r).isCloseTo(yr[r], within((float) (1e-5 * scale * (1 + Math.abs(yr[r])))));
            assertThat(ys[r]).as("scalar row %d", r).isCloseTo(yr[r], within((float) (1e-5 * scale * (1 + Math.abs(yr[r])))));
        }
        // Decode's product on the int8-quantized input (the integer kernel on 512-bit machines).
        float[] yq = new float[rows], yqr = new float[rows];
        Q8Kernels.gemvQuantizedInput(w, x, yq);
        Q8Kernels.gemvQuantizedInputReference(w, x, yqr);
        for (int r = 0; r < rows; r++) {
            assertThat(yq[r]).as("quantized-input row %d", r).isCloseTo(yqr[r], within((float) (1e-5 * scale * (1 + Math.abs(yqr[r])))));
        }
        for (int tokens : new int[]{1, 3, 4, 17, 40}) {
            Matrix xs = random(tokens, cols, tokens);
            Matrix got = Q8Kernels.gemm(xs, w), ref = Q8Kernels.gemmReference(xs, w);
            for (int i = 0; i < got.size(); i++) {
                assertThat(got.data()[i]).as("tokens %d idx %d", tokens, i).isCloseTo(ref.data()[i], within((float) (1e-5 * scale * (1 + Math.abs(ref.data()[i])))));
            }
        }
        assertThat(w.memoryBytes()).isEqualTo((long) rows * cols / 32 * 34);
    }

    /**
     * Quants at +-127 on both sides: every 16-bit product is +-16,129 and every pair sum +-32,258,
     * the most the integer kernel's 16-bit lanes hold; the result must still be exact.
     */
    @Test
    void quantizedInputProductIsExactAtTheQuantLimits() {
        int rows = 5, cols = 96;
        Matrix dense = new Matrix(rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) dense.data()[r * cols + c] = (r % 2 == 0 ? 1f : -1f) * (c % 64 < 32 ? 127f : 254f);
        }
        Q8Matrix w = Q8Matrix.quantize(dense);
        float[] x = new float[cols];
        for (int c = 0; c < cols; c++) x[c] = c < 32 ? 127f : -127f; // scales 1 and 2: everything exact
        float[] y = new float[rows], ref = new float[rows];
        Q8Kernels.gemvQuantizedInput(w, x, y);
        Q8Kernels.gemvQuantizedInputReference(w, x, ref);
        for (int r = 0; r < rows; r++) {
            float want = (r % 2 == 0 ? 1f : -1f) * 32 * (127f * 127f - 254f * 127f - 127f * 127f);
            assertThat(ref[r]).isEqualTo(want);
            assertThat(y[r]).as("row %d", r).isEqualTo(want);
        }
    }

    @Test
    void theIntegerKernelRunsOnEvery512BitMachine() {
        assertThat(Q8Kernels.integerKernel()).isEqualTo(jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length() == 16);
    }

    @Test
    void rejectsRowsThatAreNotWholeBlocks() {
        assertThatThrownBy(() -> Q8Matrix.quantize(new Matrix(2, 40))).hasMessageContaining("multiple of 32").hasMessageContaining("2x40");
    }
}
