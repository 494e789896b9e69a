package dev.mixprune.prune;

import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Fast SparseGPT (reversed Cholesky, lazy blocks, float W) against the plain double reference. */
class SparseGptAgreementTest {

    @Test
    void choleskyRoutesGiveTheSameUpperFactorOfTheInverse() {
        Random rnd = new Random(3);
        for (int n : new int[]{1, 2, 7, 33, 467}) {
            Matrix x = PruneTestData.activations(1, n > 100 ? n + 10 : 3 * n + 5, n, rnd.nextLong(), 0);
            double[] h = PruneTestData.stats(x, 1, x.rows(), true).hessian();
            for (int j = 0; j < n; j++) h[j * n + j] += 0.01;
            double[] viaReference = SparseGptReference.upperFactorOfInverse(h.clone(), n);
            double[] before = h.clone();
            double[] fast = SparseGptPruner.upperFactorOfInverse(h, n);
            assertThat(fast).isNotNull();
            assertThat(h).as("the factorization must leave H as it was (it is re-damped on retry)").isEqualTo(before);
            double max = 0;
            for (double v : viaReference) max = Math.max(max, Math.abs(v));
            for (int i = 0; i < n * n; i++) assertThat(fast[i]).isCloseTo(viaReference[i], org.assertj.core.data.Offset.offset(1e-9 * max));
            // And U^T U really is H^{-1}: (U^T U) H = I.
            if (n > 100) continue;
            for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) {
                double s = 0;
                for (int m = 0; m < n; m++) {
                    double hinv = 0;
                    for (int q = 0; q < n; q++) hinv += fast[q * n + a] * fast[q * n + m];
                    s += hinv * h[m * n + b];
                }
                assertThat(s).isCloseTo(a == b ? 1 : 0, org.assertj.core.data.Offset.offset(1e-6));
            }
        }
    }

    @Test
    void bothFactorRoutesRejectIndefiniteMatrices() {
        double[] a = {1, 2, 2, 1};
        assertThat(SparseGptPruner.upperFactorOfInverse(a.clone(), 2)).isNull();
        assertThat(SparseGptReference.upperFactorOfInverse(a.clone(), 2)).isNull();
        assertThat(SparseGptPruner.upperFactorOfInverse(new double[]{Double.NaN}, 1)).isNull();
        assertThat(SparseGptReference.upperFactorOfInverse(new double[]{Double.NaN}, 1)).isNull();
        assertThat(SparseGptPruner.upperFactorOfInverse(new double[]{4}, 1)).containsExactly(0.5);
    }

    @Test
    void factorSharedBetweenLayersOfOneInputGivesTheSameResultAndIsInvalidatedByNewData() {
        int cols = 150;
        Matrix x1 = PruneTestData.activations(2, 170, cols, 31, 7);
        Matrix x2 = PruneTestData.activations(1, 170, cols, 32, 0);
        SparseGptOptions opt = SparseGptOptions.defaults().withWarnings(s -> { });
        SparseGptPruner p = new SparseGptPruner(opt);
        InputStats shared = PruneTestData.stats(x1, 2, 170, true);
        for (int layer = 0; layer < 3; layer++) {
            Matrix w0 = PruneTestData.gaussian(5 + layer, cols, 300 + layer);
            Matrix viaShared = w0.copy(), viaFresh = w0.copy();
            p.prune(viaShared, new Pattern.NM(2, 4), shared);                       // factor reused after layer 0
            p.prune(viaFresh, new Pattern.NM(2, 4), PruneTestData.stats(x1, 2, 170, true));
            assertThat(viaShared.data()).as("layer %d", layer).containsExactly(viaFresh.data());
        }
        // More data after the factor was cached: the result must follow the new Hessian.
        shared.add(x2, 1, 170);
        InputStats fresh = PruneTestData.stats(x1, 2, 170, true);
        fresh.add(x2, 1, 170);
        Matrix w0 = PruneTestData.gaussian(6, cols, 399);
        Matrix a = w0.copy(), b = w0.copy(), stale = w0.copy();
        p.prune(a, new Pattern.Unstructured(0.5), shared);
        p.prune(b, new Pattern.Unstructured(0.5), fresh);
        p.prune(stale, new Pattern.Unstructured(0.5), PruneTestData.stats(x1, 2, 170, true));
        assertThat(a.data()).containsExactly(b.data());
        assertThat(a.data()).isNotEqualTo(stale.data());
    }

    @Test
    void fastAgreesWithReferenceOnRandomLayers() {
        record Case(int rows, int cols, Pattern p, int dead) { }
        List<Case> cases = List.of(
                new Case(5, 13, new Pattern.Unstructured(0.5), 0),
                new Case(9, 131, new Pattern.Unstructured(0.7), 0),      // 128 + short block
                new Case(7, 259, new Pattern.Unstructured(0.33), 5),     // dead inputs
                new Case(6, 133, new Pattern.NM(2, 4), 0),               // tail group of 1
                new Case(4, 150, new Pattern.NM(3, 7), 0),               // M not dividing 128: block width 126
                new Case(11, 62, new Pattern.NM(1, 8), 6),
                new Case(3, 9, new Pattern.NM(2, 5), 0));
        int idx = 0;
        for (Case cs : cases) {
            idx++;
            Matrix w0 = PruneTestData.gaussian(cs.rows(), cs.cols(), 1000 + idx);
            Matrix x = PruneTestData.activations(2, cs.cols() + 10, cs.cols(), 2000 + idx, cs.dead());
            InputStats st = PruneTestData.stats(x, 2, cs.cols() + 10, true);
            Matrix fast = w0.copy(), ref = w0.copy();
            SparseGptOptions opt = SparseGptOptions.defaults().withWarnings(s -> { });
            new SparseGptPruner(opt).prune(fast, cs.p(), st);
            new SparseGptReference(opt).prune(ref, cs.p(), st);
            double scale = 0;
            for (float v : ref.data()) scale = Math.max(scale, Math.abs(v));
            int maskDiff = 0;
            for (int i = 0; i < fast.size(); i++) if ((fast.data()[i] == 0f) != (ref.data()[i] == 0f)) maskDiff++;
            assertThat(maskDiff).as("mask differences, case %s", cs).isZero();
            for (int i = 0; i < fast.size(); i++) {
                assertThat((double) fast.data()[i]).as("case %s entry %d", cs, i)
                        .isCloseTo(ref.data()[i], org.assertj.core.data.Offset.offset(2e-4 * (1 + scale)));
            }
            // Not vacuous: the update really moved the kept weights.
            int moved = 0;
            for (int i = 0; i < fast.size(); i++) if (fast.data()[i] != 0f && fast.data()[i] != w0.data()[i]) moved++;
            assertThat(moved).isPositive();
        }
    }
}
