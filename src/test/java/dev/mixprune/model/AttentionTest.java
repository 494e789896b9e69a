package dev.mixprune.model;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** The vectorised causal attention against the scalar reference, on awkward sizes. */
class AttentionTest {
    @Test
    void vectorisedMatchesScalarReference() {
        Random r = new Random(17);
        int[][] cases = {{2, 1}, {6, 7}, {8, 33}, {10, 64}, {64, 31}, {128, 70}, {14, 129}};
        for (int[] cs : cases) {
            int hs = cs[0], T = cs[1], kvDim = 3 * hs, kvOff = hs; // the middle of three kv heads
            float[] q = randoms(r, T * hs, 2f), k = randoms(r, T * kvDim, 2f), v = randoms(r, T * kvDim, 1f);
            Attention a = new Attention(hs, T);
            a.load(k, v, 0, kvDim, kvOff);
            float[] fast = new float[T * hs], ref = new float[T * hs], scores = new float[T];
            for (int t = 0; t < T; t++) {
                a.attend(q, t * hs, t, fast, t * hs);
                LayerOps.attendOne(q, t * hs, k, v, 0, kvDim, kvOff, t, hs, scores, ref, t * hs);
            }
            for (int i = 0; i < fast.length; i++) assertThat(fast[i]).as("hs %d T %d at %d", hs, T, i).isCloseTo(ref[i], offset(2e-5f));
            // The four-query block, at every start that fits (all alignments against the vector width).
            float[] block = new float[T * hs];
            for (int t0 = 0; t0 + 4 <= T; t0++) {
                java.util.Arrays.fill(block, 0f);
                a.attend4(q, t0 * hs, hs, t0, block);
                for (int i = t0 * hs; i < (t0 + 4) * hs; i++) {
                    assertThat(block[i]).as("block hs %d T %d t0 %d at %d", hs, T, t0, i).isCloseTo(ref[i], offset(2e-5f));
                }
            }
        }
    }

    @Test
    void firstPositionCopiesItsValue() {
        Attention a = new Attention(4, 3);
        float[] k = new float[12], v = new float[12];
        for (int i = 0; i < 12; i++) { k[i] = i; v[i] = 10 + i; }
        a.load(k, v, 0, 4, 0);
        float[] out = new float[4];
        a.attend(new float[]{1, -1, 2, 0.5f}, 0, 0, out, 0);
        assertThat(out).containsExactly(10, 11, 12, 13);
    }

    static float[] randoms(Random r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian() * scale;
        return a;
    }
}
