package dev.mixprune.allocate;

import dev.mixprune.model.InputGroup;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.prune.Pattern;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CandidateModelTest {
    // Awkward sizes: hidden 37 is not a multiple of M, dim 12 neither of 8.
    static final LlamaConfig C = new LlamaConfig(12, 37, 2, 2, 1, 19, 16, 1e-5f, 10000f, true);

    static WandaScalers randomScalers(LlamaConfig c, long seed) {
        Random r = new Random(seed);
        float[][][] v = new float[c.nLayers()][4][];
        for (int b = 0; b < c.nLayers(); b++) {
            for (InputGroup g : InputGroup.values()) {
                int n = g == InputGroup.FFN_MID ? c.hiddenDim() : c.dim();
                v[b][g.ordinal()] = new float[n];
                for (int j = 0; j < n; j++) v[b][g.ordinal()][j] = (float) (r.nextDouble() * 5);
            }
        }
        return new WandaScalers(v);
    }

    /** Naive reference: sort each comparison group by score, prune the lowest. */
    static Matrix naiveMask(Matrix w, float[] scaler, Pattern p, boolean perRow) {
        Matrix out = w.copy();
        int rows = w.rows(), cols = w.cols();
        java.util.function.IntFunction<Double> score = i -> Math.abs((double) w.data()[i]) * (scaler == null ? 1 : Math.sqrt(scaler[i % cols]));
        List<List<Integer>> groups = new ArrayList<>();
        List<Integer> prune = new ArrayList<>();
        if (p instanceof Pattern.NM nm) {
            for (int r = 0; r < rows; r++) for (int c0 = 0; c0 < cols; c0 += nm.m()) {
                List<Integer> g = new ArrayList<>();
                for (int c = c0; c < Math.min(cols, c0 + nm.m()); c++) g.add(r * cols + c);
                groups.add(g);
                prune.add(Math.max(0, g.size() - nm.n()));
            }
        } else if (perRow) {
            for (int r = 0; r < rows; r++) {
                List<Integer> g = new ArrayList<>();
                for (int c = 0; c < cols; c++) g.add(r * cols + c);
                groups.add(g);
                prune.add((int) (p.prunedCount(rows, cols) / rows));
            }
        } else {
            List<Integer> g = new ArrayList<>();
            for (int i = 0; i < rows * cols; i++) g.add(i);
            groups.add(g);
            prune.add((int) p.prunedCount(rows, cols));
        }
        for (int gi = 0; gi < groups.size(); gi++) {
            List<Integer> g = new ArrayList<>(groups.get(gi));
            g.sort(Comparator.comparingDouble(i -> (double) (float) (double) score.apply(i)));
            for (int k = 0; k < prune.get(gi); k++) out.data()[g.get(k)] = 0f;
        }
        return out;
    }

    @Test
    void masksEqualNaiveReferenceForEveryLevel() {
        LlamaWeights w = TinyModels.random(C, 3);
        WandaScalers sc = randomScalers(C, 4);
        for (Levels lv : List.of(Levels.unstructured(0.05), Levels.nm(8), Levels.nm(4))) {
            SearchSpace sp = new SearchSpace(C, lv, Granularity.LAYER);
            CandidateModel wanda = CandidateModel.wanda(w, sp, sc);
            CandidateModel mag = CandidateModel.magnitude(w, sp);
            for (LayerId id : LayerId.all(C)) {
                for (int l = 0; l < lv.count(); l++) {
                    Matrix dense = w.linear(id);
                    Matrix got = wanda.masked(id, l);
                    Matrix want = naiveMask(dense, sc.of(id.block(), id.kind().input()), lv.pattern(l), true);
                    assertThat(got.data()).as("wanda %s %s", id, lv.pattern(l).text()).containsExactly(want.data());
                    assertThat(got.countZeros()).isEqualTo(lv.pattern(l).prunedCount(dense.rows(), dense.cols()));
                    Matrix gotM = mag.masked(id, l);
                    assertThat(gotM.data()).as("magnitude %s %s", id, lv.pattern(l).text())
                            .containsExactly(naiveMask(dense, null, lv.pattern(l), false).data());
                    assertThat(gotM.countZeros()).isEqualTo(lv.pattern(l).prunedCount(dense.rows(), dense.cols()));
                }
            }
        }
    }

    @Test
    void buildMasksEveryLayerByItsGeneAndSharesTheRest() {
        LlamaWeights w = TinyModels.random(C, 5);
        SearchSpace sp = new SearchSpace(C, Levels.unstructured(0.1), Granularity.BLOCK);
        CandidateModel cm = CandidateModel.magnitude(w, sp);
        LlamaWeights m = cm.build(new int[]{3, 7});
        double zeros = 0;
        for (LayerId id : LayerId.all(C)) zeros += m.linear(id).countZeros();
        assertThat(zeros / C.prunableTotal()).isEqualTo(sp.sparsity(new int[]{3, 7}));
        assertThat(m.tokenEmbedding()).isSameAs(w.tokenEmbedding());
        assertThat(w.linear(new LayerId(1, dev.mixprune.model.LayerKind.W2)).countZeros()).isZero(); // dense untouched
    }

    @Test
    void levelDatabaseServesEachLevelPrunedOnceFromTheDenseWeights() {
        LlamaWeights w = TinyModels.random(C, 9);
        SearchSpace sp = new SearchSpace(C, Levels.nm(4), Granularity.LAYER);
        CandidateModel byRank = CandidateModel.magnitude(w, sp);
        int[] calls = new int[1];
        // A stand-in "SparseGPT": the magnitude mask plus an update of the kept weights.
        LevelDatabase db = LevelDatabase.build(w, sp, (id, dense, p) -> {
            calls[0]++;
            Matrix m = byRank.masked(id, sp.levels().patterns().indexOf(p));
            for (int i = 0; i < m.size(); i++) if (m.data()[i] != 0f) m.data()[i] *= 1.5f;
            return m;
        });
        assertThat(calls[0]).isEqualTo(LayerId.all(C).size() * sp.levels().count());
        CandidateModel cm = CandidateModel.fromDatabase(w, db);
        int[] genome = new int[sp.geneCount()];
        for (int i = 0; i < genome.length; i++) genome[i] = i % sp.levels().count();
        LlamaWeights m = cm.build(genome);
        for (LayerId id : LayerId.all(C)) {
            assertThat(m.linear(id)).isSameAs(db.get(id, genome[sp.geneOf(id)]));
            assertThat(m.linear(id).countZeros()).isEqualTo(sp.levels().pattern(genome[sp.geneOf(id)]).prunedCount(C.rowsOf(id.kind()), C.colsOf(id.kind())));
        }
        assertThat(w.linear(new LayerId(0, dev.mixprune.model.LayerKind.WQ)).countZeros()).isZero();
    }

    /** A stand-in forward whose logits depend on the masked weights, to check the loss arithmetic. */
    static List<Matrix> toyForward(LlamaWeights w, List<int[]> seqs) {
        int vocab = w.config().vocabSize();
        List<Matrix> out = new ArrayList<>();
        for (int[] s : seqs) {
            Matrix m = new Matrix(s.length, vocab);
            for (int t = 0; t < s.length; t++) {
                Matrix l = w.block(t % 2).linear(dev.mixprune.model.LayerKind.W2);
                for (int v = 0; v < vocab; v++) m.set(t, v, l.get(v % l.rows(), (s[t] + v) % l.cols()) + 0.1f * (v % 5));
            }
            out.add(m);
        }
        return out;
    }

    static double[] logSoftmax(float[] z, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < n; v++) max = Math.max(max, z[off + v]);
        double s = 0;
        for (int v = 0; v < n; v++) s += Math.exp(z[off + v] - max);
        double[] r = new double[n];
        for (int v = 0; v < n; v++) r[v] = z[off + v] - max - Math.log(s);
        return r;
    }

    @Test
    void klAndPplFitnessMatchNaiveDoubleComputation() {
        LlamaWeights w = TinyModels.random(C, 6);
        SearchSpace sp = new SearchSpace(C, Levels.unstructured(0.1), Granularity.LAYER);
        CandidateModel cm = CandidateModel.wanda(w, sp, randomScalers(C, 7));
        Random r = new Random(8);
        List<int[]> windows = new ArrayList<>();
        for (int i = 0; i < 5; i++) windows.add(r.ints(16, 0, C.vocabSize()).toArray());
        KlFitness kl = new KlFitness(cm, windows, KlFitness.Kind.KL, "t", CandidateModelTest::toyForward);
        KlFitness ppl = new KlFitness(cm, windows, KlFitness.Kind.PPL, "t", CandidateModelTest::toyForward);
        int[] genome = new int[sp.geneCount()];
        for (int i = 0; i < genome.length; i++) genome[i] = r.nextInt(sp.levels().count());
        TokenSample sample = new TokenSample(new int[]{3, 0, 4}, new int[]{16, 16, 9});

        List<int[]> seqs = List.of(windows.get(3), windows.get(0), Arrays.copyOf(windows.get(4), 9));
        List<Matrix> d = toyForward(w, seqs), c = toyForward(cm.build(genome), seqs);
        double klSum = 0, nll = 0;
        int n = 0;
        for (int i = 0; i < 3; i++) {
            int[] s = seqs.get(i);
            for (int t = 0; t < s.length - 1; t++) {
                double[] lp = logSoftmax(d.get(i).data(), t * C.vocabSize(), C.vocabSize());
                double[] lq = logSoftmax(c.get(i).data(), t * C.vocabSize(), C.vocabSize());
                for (int v = 0; v < lp.length; v++) klSum += Math.exp(lp[v]) * (lp[v] - lq[v]);
                nll -= lq[s[t + 1]];
                n++;
            }
        }
        assertThat(n).isEqualTo(15 + 15 + 8);
        assertThat(kl.evaluate(genome, sample)).isCloseTo(klSum / n, within(1e-6 * Math.max(1, klSum / n)));
        assertThat(ppl.evaluate(genome, sample)).isCloseTo(Math.exp(nll / n), within(1e-6 * Math.exp(nll / n)));
        // The dense genome (ratio 0 everywhere) has zero KL.
        assertThat(kl.evaluate(new int[sp.geneCount()], sample)).isCloseTo(0, within(1e-6));
        assertThat(kl.timings().evaluations()).isEqualTo(2);
    }
}
