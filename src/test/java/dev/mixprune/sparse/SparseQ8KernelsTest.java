package dev.mixprune.sparse;

import dev.mixprune.quant.GgmlBlocks;
import dev.mixprune.quant.QuantizedInput;
import dev.mixprune.tensor.Matrix;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SparseQ8KernelsTest {

    /** Every N for awkward M (3, 5, 8, 40, ...), short tails, rows that do not fill the last group. */
    @ParameterizedTest
    @CsvSource({"1,1,2,4", "3,7,2,4", "17,33,2,8", "64,172,2,8", "33,100,3,8", "5,13,1,4", "40,129,7,8", "9,50,5,16", "31,64,4,8", "3,100,1,2",
            "5,70,4,16", "7,300,8,16", "6,200,2,4", "300,400,2,4", "300,301,2,8", "2,1000,1,4", "11,97,3,5", "13,200,2,3", "9,130,5,32",
            "6,150,3,40", "4,300,1,64", "5,40,1,16", "21,64,1,8", "3,31,2,4", "19,96,7,8", "2,33,1,128", "70,2048,2,4", "40,1024,2,8", "9,600,6,8",
            "12,256,1,32", "8,160,16,32", "5,77,2,5", "7,120,4,5", "10,45,1,3", "8,96,3,4",
            // many windows: whole pairs of scale blocks, an odd block, a short last block, a tail
            "3,1000,2,8", "5,1990,2,4", "4,2081,2,8", "6,4096,2,8", "3,1537,2,4", "9,1100,1,8"})
    void quantizedGemvMatchesTheReference(int rows, int cols, int n, int m) {
        Matrix dense = SparseKernelsTest.randomNM(rows, cols, n, m, rows * 17L + cols + n);
        PackedNM p = PackedNM.pack(dense, n, m);
        PackedNMQ8 q = PackedNMQ8.quantize(p);

        // Each row's slots are quantized as Q8_0 blocks of 32 (the last one short), positions kept.
        int spr = p.slotsPerRow(), bpr = q.blocksPerRow();
        float[] values = p.values();
        byte[] quants = q.quants();
        short[] scales = q.scales();
        byte[] want = new byte[32];
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < bpr; b++) {
                int len = Math.min(32, spr - 32 * b);
                short s = GgmlBlocks.quantizeQ8Block(values, r * spr + 32 * b, len, want, 0);
                assertThat(scales[r * bpr + b]).isEqualTo(s);
                for (int j = 0; j < len; j++) assertThat(quants[r * spr + 32 * b + j]).isEqualTo(want[j]);
            }
        }
        assertThat(q.index()).isEqualTo(p.index());
        Matrix deq = q.toDense();
        for (int i = 0; i < deq.size(); i++) {
            if (dense.data()[i] == 0f) assertThat(deq.data()[i]).isZero();
        }

        float[] x = SparseKernelsTest.random(1, cols, 11).data();
        float[] y = new float[rows], yr = new float[rows];
        SparseQ8Kernels.gemv(q, x, y);
        SparseQ8Kernels.gemvReference(q, x, yr);
        double tol = 2e-5 * Math.sqrt(spr);
        for (int r = 0; r < rows; r++) assertThat(y[r]).as("row %d", r).isCloseTo(yr[r], within((float) (tol * (1 + Math.abs(yr[r])))));
    }

    /** Canonical -> tiles -> canonical is the identity for 8 and 16 lanes (AVX2 and AVX-512 layouts). */
    @ParameterizedTest
    @CsvSource({"4,2,8", "7,3,8", "5,1,8", "9,2,4", "3,5,16", "6,3,40", "13,7,8", "2,1,2", "17,4,8", "5,3,5", "3,2,32", "4,1,16"})
    void tilesRoundTripForBothLaneCounts(int rows, int n, int m) {
        SplittableRandom rnd = new SplittableRandom(rows * 131L + n * 7L + m);
        for (int lanes : new int[]{8, 16}) {
            for (int cols : new int[]{1, m - 1, 2 * m + 1, 97, 256, 700}) {
                if (cols < 1) continue;
                int spr = (cols + m - 1) / m * n, bpr = (spr + 31) / 32;
                byte[] q = new byte[rows * spr], index = new byte[rows * spr];
                short[] scales = new short[rows * bpr];
                for (int r = 0; r < rows; r++) {
                    for (int s = 0; s < spr; s++) {
                        int g = s / n, len = Math.min(m, cols - g * m);
                        q[r * spr + s] = (byte) (rnd.nextInt(255) - 127);
                        index[r * spr + s] = (byte) rnd.nextInt(len);
                    }
                    for (int b = 0; b < bpr; b++) scales[r * bpr + b] = (short) rnd.nextInt(1 << 15);
                }
                NmTilesQ8 t = NmTilesQ8.fromCanonical(rows, cols, n, m, lanes, q, scales, index);
                String as = rows + "x" + cols + " " + n + ":" + m + " L=" + lanes;
                assertThat(t.canonicalQ()).as(as).isEqualTo(q);
                assertThat(t.canonicalIndex()).as(as).isEqualTo(index);
                assertThat(t.canonicalScales()).as(as).isEqualTo(scales);
                if (t.aligned) assertThat(t.vectors).as(as).isEqualTo(1);
            }
        }
    }

    /**
     * Decode with the input quantized per block of 32 (the integer kernels: 512-bit 2:4, 16-column
     * chunks for N:M on whole 32-column blocks; the float kernel on q(x) elsewhere) against the double reference over the same q(x): odd and even
     * window counts, short tails, other patterns.
     */
    @ParameterizedTest
    @CsvSource({"1,64,2,4", "3,7,2,4", "5,128,2,4", "7,96,2,4", "4,100,2,4", "9,160,2,4", "6,2048,2,4", "3,1537,2,4", "70,2048,2,4",
            "300,400,2,4", "2,5632,2,4", "17,33,2,8", "40,1024,2,8", "9,96,2,8", "5,2048,2,8", "7,5632,2,8", "3,100,2,8", "301,256,2,8",
            "4,192,2,8", "33,100,3,8", "9,1100,1,8", "11,97,3,5"})
    void quantizedInputGemvMatchesTheReference(int rows, int cols, int n, int m) {
        PackedNMQ8 q = PackedNMQ8.quantize(PackedNM.pack(SparseKernelsTest.randomNM(rows, cols, n, m, rows * 29L + cols + m), n, m));
        if (n == 2 && FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256 && (m == 4 && FloatVector.SPECIES_PREFERRED.length() == 16 || cols % 32 == 0 && (m == 4 || m == 8))) {
            assertThat(SparseQ8Kernels.integerKernel(q)).as("2:4 on AVX-512 and 2:4 / 2:8 on whole 32-column blocks run an integer kernel").isTrue();
        }
        float[] x = SparseKernelsTest.random(1, cols, 13).data();
        float[] y = new float[rows], yr = new float[rows];
        SparseQ8Kernels.gemvQuantizedInput(q, x, y);
        SparseQ8Kernels.gemvQuantizedInputReference(q, x, yr);
        double tol = 2e-5 * Math.sqrt(q.slotsPerRow());
        for (int r = 0; r < rows; r++) assertThat(y[r]).as("row %d", r).isCloseTo(yr[r], within((float) (tol * (1 + Math.abs(yr[r])))));
    }

    /** All quants at +-127 on both sides: 16-bit products and their pair sums (32258) must not overflow. */
    @Test
    void extremeQuantsDoNotOverflow() {
        int rows = 4, cols = 256;
        Matrix dense = new Matrix(rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c += 4) {
                dense.data()[r * cols + c + (r % 2)] = r < 2 ? 1f : -1f;
                dense.data()[r * cols + c + 2 + (r % 2)] = r < 2 ? 1f : -1f;
            }
        }
        PackedNMQ8 q = PackedNMQ8.quantize(PackedNM.pack(dense, 2, 4));
        float[] x = new float[cols];
        for (int c = 0; c < cols; c++) x[c] = c % 8 < 4 ? 3f : -3f;
        java.util.Arrays.fill(x, 0, 64, 3f);
        float[] y = new float[rows], yr = new float[rows];
        SparseQ8Kernels.gemvQuantizedInput(q, x, y);
        SparseQ8Kernels.gemvQuantizedInputReference(q, x, yr);
        for (int r = 0; r < rows; r++) assertThat(y[r]).as("row %d", r).isCloseTo(yr[r], within(1e-4f * (1 + Math.abs(yr[r]))));
        assertThat(yr[0]).isCloseTo(3f * 32, within(0.05f)); // columns 0-63 all +3, the rest cancels in pairs of groups (F16 weight scale)
    }

    /** The input quantizer is ggml's Q8_0 rule (amax / 127, quants rounded half away from zero), with a float scale. */
    @Test
    void inputQuantizerFollowsTheQ8Rule() {
        float[] x = SparseKernelsTest.random(1, 200, 5).data();
        x[7] = 0f;
        java.util.Arrays.fill(x, 64, 96, 0f);
        // Block 3: amax 127, so the scale is 1 and the quants are x rounded: halves and values just below them.
        float[] edges = {127f, 0.49999997f, -0.49999997f, 0.5f, -0.5f, 1.4999999f, -1.4999999f, 1.5f, 2.5f, -2.5f, 126.5f, -126.49999f,
                -127f, 3.4999998f, 63.5f, -63.499996f, 0.99999994f, 1e-8f, -1e-8f, 7.5000005f};
        System.arraycopy(edges, 0, x, 96, edges.length);
        QuantizedInput in = QuantizedInput.of(x, 200, 64);
        assertThat(in.q()).hasSize(7 * 32 + 64);
        byte[] want = new byte[32];
        for (int b = 0; b < 7; b++) {
            int len = Math.min(32, 200 - 32 * b);
            GgmlBlocks.quantizeQ8Block(x, 32 * b, len, want, 0);
            float amax = 0f;
            for (int j = 0; j < len; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
            assertThat(in.scale()[b]).isEqualTo(amax / 127f);
            for (int j = 0; j < len; j++) assertThat(in.q()[32 * b + j]).as("column %d", 32 * b + j).isEqualTo((short) want[j]);
        }
        assertThat(in.scale()[3]).isEqualTo(1f);
        for (int j = 0; j < edges.length; j++) assertThat(in.q()[96 + j]).as("%s", edges[j]).isEqualTo((short) GgmlBlocks.roundHalfAway(edges[j]));
        assertThat(in.q()[97]).isZero();
        assertThat(in.q()[99]).isEqualTo((short) 1);
        assertThat(in.q()[104]).isEqualTo((short) 3);
        assertThat(in.q()[105]).isEqualTo((short) -3);
        for (int c = 200; c < in.q().length; c++) assertThat(in.q()[c]).isZero();
        float[] d = in.dequantized();
        for (int c = 0; c < 200; c++) assertThat(d[c]).isCloseTo(x[c], within(in.scale()[c / 32] / 2 * 1.0001f));
    }
}
