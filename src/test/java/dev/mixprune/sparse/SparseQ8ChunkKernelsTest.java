package dev.mixprune.sparse;

import dev.mixprune.quant.QuantizedInput;
import dev.mixprune.tensor.Matrix;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The 256-bit integer decode GEMV ({@link SparseQ8ChunkKernels}) and its layout ({@link ChunkTilesQ8}).
 * The kernel is called directly, so it is checked on every machine (256-bit vectors exist on
 * AVX-512 ones too), not only where {@link SparseQ8Kernels#gemvQuantizedInput} dispatches to it.
 */
class SparseQ8ChunkKernelsTest {

    /** Every supported N:M; rows that do not fill the last group; one to many 32-column blocks; a threaded shape. */
    @ParameterizedTest
    @CsvSource({"1,32,2,4", "3,32,2,4", "5,96,2,4", "7,160,2,4", "2,64,2,4", "70,2048,2,4", "301,256,2,4", "9,5632,2,4",
            "1,32,2,8", "3,96,2,8", "5,160,2,8", "17,1024,2,8", "301,256,2,8", "7,5632,2,8",
            "1,32,1,8", "9,96,1,8", "13,224,1,8", "3,64,4,8", "11,160,4,8", "6,64,1,4", "5,96,1,4",
            "3,32,8,16", "5,96,4,16", "9,160,2,16", "600,2048,2,4", "600,2048,2,8"})
    void matchesTheReference(int rows, int cols, int n, int m) {
        PackedNMQ8 q = PackedNMQ8.quantize(PackedNM.pack(SparseKernelsTest.randomNM(rows, cols, n, m, rows * 31L + cols + 7L * m + n), n, m));
        assertThat(ChunkTilesQ8.supports(rows, cols, n, m)).isTrue();
        float[] x = SparseKernelsTest.random(1, cols, 19).data();
        float[] y = new float[rows], yr = new float[rows];
        SparseQ8ChunkKernels.gemv(q.chunkTiles(), QuantizedInput.of(x, cols, SparseQ8IntKernels.PAD), y);
        SparseQ8Kernels.gemvQuantizedInputReference(q, x, yr);
        double tol = 2e-5 * Math.sqrt(q.slotsPerRow());
        for (int r = 0; r < rows; r++) assertThat(y[r]).as("row %d", r).isCloseTo(yr[r], within((float) (tol * (1 + Math.abs(yr[r])))));
    }

    /**
     * Quants at +-127 on both sides: each 16-bit lane then holds two products of 16,129 (32,258,
     * near the limit) and a pair of lanes 64,516, which only fits because the pair is summed in
     * 32 bits. A kernel that summed the pair in 16 bits fails this.
     */
    @ParameterizedTest
    @CsvSource({"2,4", "2,8", "1,8"})
    void extremeQuantsDoNotOverflow(int n, int m) {
        int rows = 8, cols = 256;
        Matrix dense = new Matrix(rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c += m) {
                for (int k = 0; k < n; k++) dense.data()[r * cols + c + k] = r % 2 == 0 ? 1f : -1f;
            }
        }
        PackedNMQ8 q = PackedNMQ8.quantize(PackedNM.pack(dense, n, m));
        float[] x = new float[cols];
        java.util.Arrays.fill(x, 5f);
        float[] y = new float[rows], yr = new float[rows];
        SparseQ8ChunkKernels.gemv(q.chunkTiles(), QuantizedInput.of(x, cols, SparseQ8IntKernels.PAD), y);
        SparseQ8Kernels.gemvQuantizedInputReference(q, x, yr);
        float want = 5f * cols * n / m;
        for (int r = 0; r < rows; r++) {
            assertThat(yr[r]).isCloseTo(r % 2 == 0 ? want : -want, within(want * 1e-3f));
            assertThat(y[r]).as("row %d", r).isCloseTo(yr[r], within(1e-5f * want));
        }
    }

    /** The layout read back slot by slot gives the canonical quants, columns and scales. */
    @ParameterizedTest
    @CsvSource({"1,32,2,4", "5,96,2,4", "7,64,2,8", "9,160,1,8", "3,96,4,8", "6,64,1,4", "5,96,4,16", "3,32,8,16"})
    void layoutReadsBackTheCanonicalArrays(int rows, int cols, int n, int m) {
        SplittableRandom rnd = new SplittableRandom(rows * 7L + cols + m);
        int spr = cols / m * n, bpr = (spr + 31) / 32;
        byte[] q = new byte[rows * spr], index = new byte[rows * spr];
        short[] scales = new short[rows * bpr];
        for (int i = 0; i < q.length; i++) {
            q[i] = (byte) (rnd.nextInt(255) - 127);
            index[i] = (byte) rnd.nextInt(m);
        }
        for (int i = 0; i < scales.length; i++) scales[i] = (short) rnd.nextInt(0x7c00); // finite F16 (no NaN: isEqualTo)
        ChunkTilesQ8 t = ChunkTilesQ8.fromCanonical(rows, cols, n, m, q, scales, index);
        for (int r = 0; r < rows; r++) {
            for (int s = 0; s < spr; s++) {
                assertThat(t.quant(r, s)).as("quant %d,%d", r, s).isEqualTo(q[r * spr + s]);
                assertThat(t.column(r, s)).as("column %d,%d", r, s).isEqualTo((s / n) * m + index[r * spr + s]);
            }
            for (int b = 0; b < bpr; b++) assertThat(t.scale(r, b)).isEqualTo(Float.float16ToFloat(scales[r * bpr + b]));
        }
    }

    @Test
    void supportsOnlyTheChunkGeometries() {
        assertThat(ChunkTilesQ8.supports(4, 64, 2, 4)).isTrue();
        assertThat(ChunkTilesQ8.supports(4, 64, 3, 8)).as("R = 8/3").isFalse();
        assertThat(ChunkTilesQ8.supports(4, 80, 2, 4)).as("80 columns: not whole 32-column blocks").isFalse();
        assertThat(ChunkTilesQ8.supports(4, 64, 1, 16)).as("R = 16: one kept value per row and chunk").isFalse();
        assertThat(ChunkTilesQ8.supports(4, 60, 1, 5)).isFalse();
        assertThat(ChunkTilesQ8.supports(4, 64, 4, 4)).as("dense").isFalse();
        assertThatThrownBy(() -> ChunkTilesQ8.fromCanonical(4, 80, 2, 4, new byte[160], new short[12], new byte[160]))
                .hasMessageContaining("4x80 2:4");
    }

    /**
     * Decode sends N:M layers here on machines with 256-bit vectors or more, except 2:4 on 512-bit
     * ones (the 512-bit 2:4 kernel); the chunk layout is built on first use and counted once built.
     */
    @Test
    void dispatchFollowsTheVectorWidth() {
        PackedNMQ8 w24 = PackedNMQ8.quantize(PackedNM.pack(SparseKernelsTest.randomNM(6, 128, 2, 4, 5), 2, 4));
        PackedNMQ8 w28 = PackedNMQ8.quantize(PackedNM.pack(SparseKernelsTest.randomNM(6, 128, 2, 8, 5), 2, 8));
        PackedNMQ8 w38 = PackedNMQ8.quantize(PackedNM.pack(SparseKernelsTest.randomNM(6, 128, 3, 8, 5), 3, 8));
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        assertThat(SparseQ8ChunkKernels.runsOn(w24)).isEqualTo(bits == 256);
        assertThat(SparseQ8ChunkKernels.runsOn(w28)).isEqualTo(bits >= 256);
        assertThat(SparseQ8Kernels.integerKernel(w24)).isEqualTo(bits >= 256);
        assertThat(SparseQ8Kernels.integerKernel(w28)).isEqualTo(bits >= 256);
        assertThat(SparseQ8Kernels.integerKernel(w38)).as("3:8 has no chunk layout").isFalse();
        long before = w28.memoryBytes();
        w28.chunkTiles();
        assertThat(w28.memoryBytes()).as("the chunk layout counts once built").isGreaterThan(before);
    }
}
