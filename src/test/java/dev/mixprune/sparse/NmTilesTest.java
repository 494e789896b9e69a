package dev.mixprune.sparse;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class NmTilesTest {

    /** Canonical slots -> tiles -> canonical is the identity, for any lane count (not only this machine's). */
    @ParameterizedTest
    @CsvSource({"4,2,8,16", "7,3,8,16", "5,1,8,8", "9,2,4,4", "3,5,16,16", "6,3,40,16", "13,7,8,16", "2,1,2,4", "17,4,8,8", "5,3,5,16"})
    void canonicalRoundTrip(int rows, int n, int m, int lanes) {
        SplittableRandom rnd = new SplittableRandom(rows * 131L + n * 7L + m);
        for (int cols : new int[]{1, m - 1, 2 * m + 1, 97, 256}) {
            if (cols < 1) continue;
            int spr = (cols + m - 1) / m * n;
            float[] values = new float[rows * spr];
            byte[] index = new byte[rows * spr];
            for (int r = 0; r < rows; r++) {
                for (int s = 0; s < spr; s++) {
                    int g = s / n, len = Math.min(m, cols - g * m);
                    values[r * spr + s] = (float) rnd.nextGaussian();
                    index[r * spr + s] = (byte) rnd.nextInt(len);
                }
            }
            NmTiles t = NmTiles.fromCanonical(rows, cols, n, m, lanes, values, index);
            assertThat(t.slotsPerRow()).isEqualTo(spr);
            assertThat(t.canonicalValues()).as("values %dx%d %d:%d L=%d", rows, cols, n, m, lanes).isEqualTo(values);
            assertThat(t.canonicalIndex()).as("index %dx%d %d:%d L=%d", rows, cols, n, m, lanes).isEqualTo(index);
            // Every tile index is a column inside its window; R rows of a window fill whole vectors.
            for (byte b : t.index) assertThat((int) b).isBetween(0, t.window - 1);
            assertThat(t.rowsPerGroup * t.perRow % lanes).isZero();
            assertThat(t.window % m).isZero();
        }
    }
}
