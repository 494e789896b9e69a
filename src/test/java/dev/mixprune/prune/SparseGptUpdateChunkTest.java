package dev.mixprune.prune;

import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SparseGPT's lazy update runs in row chunks (to keep its temporaries small); the product of a
 * row chunk must equal the same rows of the whole product bit for bit, so chunking changes no
 * result.
 */
class SparseGptUpdateChunkTest {
    @Test
    void rowChunksOfTheProductEqualTheWholeProductBitForBit() {
        SplittableRandom r = new SplittableRandom(3);
        for (int[] s : new int[][]{{1000, 128, 3001}, {777, 120, 515}, {4097, 128, 129}}) {
            int rows = s[0], k = s[1], rest = s[2];
            Matrix err = new Matrix(rows, k), panel = new Matrix(k, rest);
            for (int i = 0; i < err.size(); i++) err.data()[i] = (float) r.nextGaussian();
            for (int i = 0; i < panel.size(); i++) panel.data()[i] = (float) r.nextGaussian();
            float[] whole = Gemm.nn(err, panel).data();
            for (int chunk : new int[]{SparseGptPruner.updateChunkRows(rows, rest), 64, 381, 1}) {
                for (int r0 = 0; r0 < rows; r0 += chunk) {
                    int r1 = Math.min(rows, r0 + chunk);
                    float[] part = Gemm.nn(err.rowSlice(r0, r1), panel).data();
                    for (int i = 0; i < part.length; i++) {
                        if (Float.floatToRawIntBits(part[i]) != Float.floatToRawIntBits(whole[r0 * rest + i])) {
                            throw new AssertionError("chunk " + chunk + " rows " + r0 + ".." + r1 + " element " + i + ": " + part[i] + " vs " + whole[r0 * rest + i]);
                        }
                    }
                }
            }
            assertThat(SparseGptPruner.updateChunkRows(rows, rest)).isBetween(1, rows);
        }
        assertThat(SparseGptPruner.updateChunkRows(4096, 11008 - 128) * (11008L - 128) * 4).isLessThanOrEqualTo(16L << 20);
    }
}
