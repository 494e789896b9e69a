package dev.mixprune.prune;

import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LayerPrunerTest {

    private static LayerPruner pruner(PruneMethod m) {
        return LayerPruner.of(m, SparseGptOptions.defaults().withWarnings(s -> { }));
    }

    @ParameterizedTest
    @EnumSource(PruneMethod.class)
    void everyNMGroupKeepsAtMostNOnRandomShapes(PruneMethod method) {
        Random rnd = new Random(11 + method.ordinal());
        for (int trial = 0; trial < 12; trial++) {
            int m = 2 + rnd.nextInt(7);            // 2..8
            int n = 1 + rnd.nextInt(m - 1);        // 1..m-1
            int rows = 1 + rnd.nextInt(13);
            int cols = m + 1 + rnd.nextInt(3 * m + 40);
            if (cols % m == 0) cols++;             // always a short tail group
            Matrix w = PruneTestData.gaussian(rows, cols, trial);
            Matrix x = PruneTestData.activations(2, 9, cols, 100 + trial, 0);
            pruner(method).prune(w, new Pattern.NM(n, m), PruneTestData.stats(x, 2, 9, true));
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c += m) {
                    int g = Math.min(m, cols - c);
                    int nz = PruneTestData.nonZerosInGroup(w, r, c, g);
                    assertThat(nz).as("%s %d:%d %dx%d row %d group at %d", method, n, m, rows, cols, r, c).isLessThanOrEqualTo(n);
                    // Gaussian weights have no zeros: every group keeps exactly min(N, g).
                    if (method != PruneMethod.SPARSEGPT) assertThat(nz).isEqualTo(Math.min(n, g));
                }
            }
            assertThat(w.countZeros()).isEqualTo(new Pattern.NM(n, m).prunedCount(rows, cols));
        }
    }

    /** The search's budget counts with PruneMethod.prunedCount: it must be what each pruner zeroes. */
    @ParameterizedTest
    @EnumSource(PruneMethod.class)
    void unstructuredZeroCountIsWhatTheMethodCounts(PruneMethod method) {
        Random rnd = new Random(23 + method.ordinal());
        for (int trial = 0; trial < 12; trial++) {
            int rows = 1 + rnd.nextInt(20), cols = 1 + rnd.nextInt(300);   // > 128: several SparseGPT column blocks
            double s = rnd.nextDouble() * 0.95;
            Matrix w = PruneTestData.gaussian(rows, cols, trial);
            Matrix x = PruneTestData.activations(2, 9, cols, 300 + trial, 0);
            Pattern p = new Pattern.Unstructured(s);
            pruner(method).prune(w, p, PruneTestData.stats(x, 2, 9, method.needsHessian()));
            assertThat(w.countZeros()).as("%s %dx%d at %.4f", method, rows, cols, s).isEqualTo(method.prunedCount(p, rows, cols));
        }
        // The three rules differ: 7 rows of 64 at 0.7 (44.8 per row).
        Pattern p = new Pattern.Unstructured(0.7);
        assertThat(PruneMethod.WANDA.prunedCount(p, 7, 200)).isEqualTo(7 * 140);
        assertThat(PruneMethod.WANDA.prunedCount(p, 7, 64)).isEqualTo(7 * 44);
        assertThat(PruneMethod.MAGNITUDE.prunedCount(p, 7, 64)).isEqualTo(313);              // floor(313.6)
        assertThat(PruneMethod.SPARSEGPT.prunedCount(p, 7, 200)).isEqualTo(627 + 352);       // floor(7*128*0.7) + floor(7*72*0.7)
    }

    @Test
    void wandaPrunesExactlyFloorColsTimesSPerRow() {
        Random rnd = new Random(5);
        for (int trial = 0; trial < 20; trial++) {
            int rows = 1 + rnd.nextInt(20), cols = 1 + rnd.nextInt(70);
            double s = rnd.nextDouble() * 0.99;
            Matrix w = PruneTestData.gaussian(rows, cols, trial);
            Matrix x = PruneTestData.activations(3, 5, cols, trial, 0);
            new WandaPruner().prune(w, new Pattern.Unstructured(s), PruneTestData.stats(x, 3, 5, false));
            int perRow = (int) Math.floor(cols * s);
            for (int r = 0; r < rows; r++) {
                int z = 0;
                for (int c = 0; c < cols; c++) if (w.get(r, c) == 0f) z++;
                assertThat(z).as("row %d of %dx%d at %.3f", r, rows, cols, s).isEqualTo(perRow);
            }
        }
    }

    @Test
    void wandaKeepsTheLargestActivationWeightedScoresOfEachRow() {
        wandaKeepsTheLargest(7, 23);
        wandaKeepsTheLargest(300, 257);   // large enough for the row-parallel path
    }

    @Test
    void magnitudeNMRowParallelPathKeepsTheLargestOfEachGroup() {
        int rows = 300, cols = 257;
        Matrix w = PruneTestData.gaussian(rows, cols, 8);
        Matrix orig = w.copy();
        new MagnitudePruner().prune(w, new Pattern.NM(2, 4), null);
        for (int r = 0; r < rows; r++) {
            for (int c0 = 0; c0 < cols; c0 += 4) {
                int g = Math.min(4, cols - c0);
                double maxPruned = -1, minKept = Double.MAX_VALUE;
                int kept = 0;
                for (int c = c0; c < c0 + g; c++) {
                    double a = Math.abs(orig.get(r, c));
                    if (w.get(r, c) == 0f) maxPruned = Math.max(maxPruned, a);
                    else { kept++; minKept = Math.min(minKept, a); }
                }
                assertThat(kept).isEqualTo(Math.min(2, g));
                assertThat(maxPruned).isLessThanOrEqualTo(minKept);
            }
        }
    }

    private static void wandaKeepsTheLargest(int rows, int cols) {
        Matrix w = PruneTestData.gaussian(rows, cols, 3);
        Matrix orig = w.copy();
        Matrix x = PruneTestData.activations(2, 11, cols, 4, 0);
        InputStats st = PruneTestData.stats(x, 2, 11, false);
        new WandaPruner().prune(w, new Pattern.Unstructured(0.4), st);
        // Independent recomputation of the norm: sqrt(sum over tokens x^2 / nSeq).
        double[] norm = new double[cols];
        for (int t = 0; t < x.rows(); t++) for (int j = 0; j < cols; j++) norm[j] += (double) x.get(t, j) * x.get(t, j);
        for (int j = 0; j < cols; j++) norm[j] = Math.sqrt(norm[j] / 2);
        for (int r = 0; r < rows; r++) {
            double maxPruned = -1, minKept = Double.MAX_VALUE;
            for (int c = 0; c < cols; c++) {
                double s = Math.abs(orig.get(r, c)) * norm[c];
                if (w.get(r, c) == 0f) maxPruned = Math.max(maxPruned, s);
                else { minKept = Math.min(minKept, s); assertThat(w.get(r, c)).isEqualTo(orig.get(r, c)); }
            }
            assertThat(maxPruned).isLessThanOrEqualTo(minKept);
        }
    }

    @Test
    void wandaScalerRowIsTheReferenceRunningMean() {
        int cols = 9;
        Matrix x = PruneTestData.activations(4, 6, cols, 8, 0);
        InputStats chunked = new InputStats(cols, false);
        chunked.add(x.rowSlice(0, 6), 1, 6);
        chunked.add(x.rowSlice(6, 24), 3, 6);
        for (int j = 0; j < cols; j++) {
            double s = 0;
            for (int t = 0; t < 24; t++) s += (double) x.get(t, j) * x.get(t, j);
            assertThat(chunked.scalerRow()[j]).isCloseTo(s / 4, org.assertj.core.data.Offset.offset(1e-9 * (1 + s)));
        }
        assertThat(chunked.sequences()).isEqualTo(4);
    }

    @Test
    void magnitudeUnstructuredPrunesExactlyFloorNumelTimesSPerMatrixSmallestFirst() {
        Matrix w = PruneTestData.gaussian(13, 29, 9);
        Matrix orig = w.copy();
        new MagnitudePruner().prune(w, new Pattern.Unstructured(0.6), null);
        long k = (long) Math.floor(13 * 29 * 0.6);
        assertThat(w.countZeros()).isEqualTo(k);
        double maxPruned = 0, minKept = Double.MAX_VALUE;
        for (int i = 0; i < w.size(); i++) {
            if (w.data()[i] == 0f) maxPruned = Math.max(maxPruned, Math.abs(orig.data()[i]));
            else minKept = Math.min(minKept, Math.abs(orig.data()[i]));
        }
        assertThat(maxPruned).isLessThanOrEqualTo(minKept);
    }

    @Test
    void tiesArePrunedInIndexOrderAndExactlyKOfThem() {
        Matrix w = new Matrix(1, 6, new float[]{1, -1, 1, 2, 1, 3});
        new MagnitudePruner().prune(w, new Pattern.Unstructured(0.5), null);
        assertThat(w.data()).containsExactly(0, 0, 0, 2, 1, 3);
        Matrix z = new Matrix(2, 3, new float[]{1, 2, 3, 4, 5, 6});
        new MagnitudePruner().prune(z, new Pattern.Unstructured(0.0), null);
        assertThat(z.countZeros()).isZero();
    }

    @Test
    void sparseGptKeepsTheUnstructuredCountPerColumnBlock() {
        int rows = 6, cols = 300;   // blocks of 128, 128, 44
        Matrix w = PruneTestData.gaussian(rows, cols, 1);
        Matrix x = PruneTestData.activations(3, 40, cols, 2, 0);
        new SparseGptPruner(SparseGptOptions.defaults()).prune(w, new Pattern.Unstructured(0.7), PruneTestData.stats(x, 3, 40, true));
        long expected = (long) Math.floor(rows * 128 * 0.7) * 2 + (long) Math.floor(rows * 44 * 0.7);
        assertThat(w.countZeros()).isEqualTo(expected);
    }

    @Test
    void sparseGptZeroesDeadInputColumns() {
        int rows = 5, cols = 21;
        Matrix w = PruneTestData.gaussian(rows, cols, 1);
        Matrix x = PruneTestData.activations(2, 30, cols, 2, 4);   // every 4th input always zero
        new SparseGptPruner(SparseGptOptions.defaults()).prune(w, new Pattern.Unstructured(0.2), PruneTestData.stats(x, 2, 30, true));
        for (int r = 0; r < rows; r++) for (int j = 3; j < cols; j += 4) assertThat(w.get(r, j)).isZero();
        for (float v : w.data()) assertThat(Float.isFinite(v)).isTrue();
    }

    @Test
    void sparseGptRaisesDampingInsteadOfCrashingOnAnIndefiniteHessian() {
        int rows = 3, cols = 10;
        Matrix w = PruneTestData.gaussian(rows, cols, 1);
        // A Gram with a negative eigenvalue large enough that 1% damping cannot fix it.
        InputStats st = new InputStats(cols, true);
        Matrix x = PruneTestData.activations(1, 20, cols, 3, 0);
        st.add(x, 1, 20);
        float[] g = st.gram().data();
        for (int i = 0; i < cols; i++) for (int j = 0; j < cols; j++) if (i != j) g[i * cols + j] = g[i * cols + i] * 3;
        List<String> warnings = new ArrayList<>();
        SparseGptOptions opt = SparseGptOptions.defaults().withWarnings(warnings::add);
        new SparseGptPruner(opt).prune(w, new Pattern.NM(1, 2), st);
        assertThat(warnings).isNotEmpty().allMatch(s -> s.contains("retrying"));
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c += 2) assertThat(PruneTestData.nonZerosInGroup(w, r, c, 2)).isLessThanOrEqualTo(1);
        for (float v : w.data()) assertThat(Float.isFinite(v)).isTrue();
    }

    @Test
    void sparseGptHasTheLowestReconstructionErrorOnCorrelatedInputs() {
        int rows = 24, cols = 70, nSeq = 4, seqLen = 50;
        Matrix x = PruneTestData.activations(nSeq, seqLen, cols, 77, 0);
        InputStats st = PruneTestData.stats(x, nSeq, seqLen, true);
        for (Pattern p : List.of(new Pattern.Unstructured(0.5), new Pattern.NM(2, 4), new Pattern.NM(1, 4))) {
            Matrix orig = PruneTestData.gaussian(rows, cols, 5);
            double[] err = new double[3];
            for (PruneMethod m : PruneMethod.values()) {
                Matrix w = orig.copy();
                pruner(m).prune(w, p, st);
                err[m.ordinal()] = st.reconstructionError(orig, w);
                assertThat(err[m.ordinal()]).isCloseTo(directError(orig, w, x), org.assertj.core.data.Percentage.withPercentage(1e-2));
            }
            assertThat(err[PruneMethod.SPARSEGPT.ordinal()]).as(p.text() + " vs wanda").isLessThan(err[PruneMethod.WANDA.ordinal()]);
            assertThat(err[PruneMethod.SPARSEGPT.ordinal()]).as(p.text() + " vs magnitude").isLessThan(err[PruneMethod.MAGNITUDE.ordinal()]);
        }
    }

    /** ||W X^T - W' X^T||^2 by brute force (x is [tokens x in]). */
    static double directError(Matrix a, Matrix b, Matrix x) {
        double s = 0;
        for (int r = 0; r < a.rows(); r++) for (int t = 0; t < x.rows(); t++) {
            double d = 0;
            for (int j = 0; j < a.cols(); j++) d += ((double) a.get(r, j) - b.get(r, j)) * x.get(t, j);
            s += d * d;
        }
        return s;
    }

    @Test
    void wandaAndSparseGptRefuseMissingStatistics() {
        Matrix w = PruneTestData.gaussian(2, 4, 1);
        assertThatThrownBy(() -> new WandaPruner().prune(w, new Pattern.NM(2, 4), null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SparseGptPruner(SparseGptOptions.defaults()).prune(w, new Pattern.NM(2, 4), new InputStats(4, false)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
