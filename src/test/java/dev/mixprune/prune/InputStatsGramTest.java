package dev.mixprune.prune;

import dev.mixprune.tensor.GemmReference;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The symmetric (lower panel blocks + mirror) Gram update against the plain double-precision X^T X. */
class InputStatsGramTest {

    @Test
    void symmetricPanelGramMatchesTheReferenceOnAwkwardSizes() {
        // 1030 inputs: two full panels and a 6-wide one; 230 tokens in slabs of 100: 100, 100, 30.
        // 1023 inputs takes the single-product path. Two additions check accumulation and the mirror.
        for (int[] shape : new int[][]{{230, 1030}, {37, 1537}, {300, 1023}}) {
            int n = shape[0], in = shape[1];
            Matrix x1 = PruneTestData.gaussian(n, in, n + in);
            Matrix x2 = PruneTestData.gaussian(n / 2 + 1, in, n - in);
            Matrix gram = new Matrix(in, in);
            InputStats.addGram(x1, gram, 100);
            InputStats.addGram(x2, gram, 100);
            Matrix ref = new Matrix(in, in);
            GemmReference.tn(x1, x1, ref, false);
            GemmReference.tn(x2, x2, ref, true);
            float[] g = gram.data(), r = ref.data();
            double scale = 0;
            for (float v : r) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < g.length; i++) {
                assertThat((double) g[i]).as("%dx%d entry (%d, %d)", n, in, i / in, i % in)
                        .isCloseTo(r[i], org.assertj.core.data.Offset.offset(1e-5 * scale));
            }
            for (int i = 0; i < in; i++) for (int j = 0; j < i; j++) assertThat(g[j * in + i]).isEqualTo(g[i * in + j]);
        }
    }
}
