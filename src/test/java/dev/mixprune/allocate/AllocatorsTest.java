package dev.mixprune.allocate;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.InputGroup;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.SparsityPlan;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

import static dev.mixprune.allocate.BudgetTest.STORIES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AllocatorsTest {

    @Test
    void uniformUnstructuredNeverBelowTarget() {
        for (double s : new double[]{0.5, 0.7, 0.75, 0.8, 0.63}) {
            SparsityPlan p = UniformAllocator.unstructured(STORIES, s);
            assertThat(p.expectedSparsity(STORIES)).isGreaterThanOrEqualTo(s).isLessThan(s + 1.0 / 64);
        }
        // 0.7 of 64 inputs: plain 0.7 would prune 44; the plan prunes 45.
        assertThat(UniformAllocator.unstructured(STORIES, 0.7).patternOf(new LayerId(0, LayerKind.WQ)).prunedCount(64, 64)).isEqualTo(64L * 45);
    }

    @Test
    void owlBlockSparsitiesMatchHandComputation() {
        // D = [1, 2, 4, 3], s = 0.7, lambda = 0.08:
        // r = (D - 1)/3 * 0.16 = [0, 0.05333, 0.16, 0.10667]; mean r = 0.08
        // density = r - 0.08 + 0.3 = [0.22, 0.27333, 0.38, 0.32667]; s_l = [0.78, 0.72667, 0.62, 0.67333]
        double[] s = OwlAllocator.blockSparsities(new double[]{1, 2, 4, 3}, 0.7, 0.08);
        assertThat(s[0]).isCloseTo(0.78, within(1e-12));
        assertThat(s[1]).isCloseTo(0.7 + 0.08 - 0.16 / 3, within(1e-12));
        assertThat(s[2]).isCloseTo(0.62, within(1e-12));
        assertThat(s[3]).isCloseTo(0.7 + 0.08 - 0.32 / 3, within(1e-12));
        // Equal ratios: no division by zero, everything at s.
        assertThat(OwlAllocator.blockSparsities(new double[]{2, 2}, 0.6, 0.08)).containsExactly(0.6, 0.6);
        // Non-positive sparsity is clamped to 0.01 (wanda/sparsegpt variants).
        assertThat(OwlAllocator.blockSparsities(new double[]{0, 1}, 0.05, 0.2)[1]).isEqualTo(0.01);
    }

    @Test
    void owlNMVariantKeepsMoreInOutlierBlocks() {
        // D = [0, 10, 5], lambda 2: scaled = [0, 2, 1], mean 1, z = round([-1, 1, 0]); kept = 2 + z
        assertThat(OwlAllocator.blockKeptNM(new double[]{0, 10, 5}, 2, 8, 2)).containsExactly(1, 3, 2);
        assertThat(OwlAllocator.blockKeptNM(new double[]{0, 10, 5}, 1, 8, 2)).containsExactly(1, 2, 1); // clamped at 1
    }

    /** Outlier ratios of stories260K's five blocks from Wanda 75 % OWL (percent; their shape, not their exact values, matters here). */
    private static final double[] D5 = {4.1, 4.6, 1.9, 1.3, 0.0};

    @Test
    void owlReferenceKeepsTheContinuousRatiosAndItsAchievedSparsity() {
        SparsityPlan p = OwlAllocator.referencePlan(STORIES, D5, 0.75, 0, 0.08, 2);
        double[] s = OwlAllocator.blockSparsities(D5, 0.75, 0.08);
        for (LayerId id : LayerId.all(STORIES)) {
            assertThat(((dev.mixprune.prune.Pattern.Unstructured) p.patternOf(id)).sparsity()).isEqualTo(s[id.block()]);
        }
        assertThat(p.allocation()).isEqualTo("owl-reference");
        // Wanda's per-row floor leaves it below the target (no repair).
        assertThat(p.expectedSparsity(STORIES)).isLessThan(0.75).isGreaterThan(0.73);
        // N:M: block l keeps N + z_l of 8, unrepaired (z from the rounded, centred ratios).
        SparsityPlan nm = OwlAllocator.referencePlan(STORIES, D5, 0.75, 8, 0.08, 2);
        int[] kept = OwlAllocator.blockKeptNM(D5, 2, 8, 2);
        for (LayerId id : LayerId.all(STORIES)) assertThat(nm.patternOf(id)).isEqualTo(new dev.mixprune.prune.Pattern.NM(kept[id.block()], 8));
    }

    @Test
    void budgetMatchedOwlMeetsTheTargetWithLessThanOneRowCountOver() {
        for (double t : new double[]{0.5, 0.6, 0.7, 0.75, 0.8, 0.63}) {
            double[] s = OwlAllocator.blockSparsities(D5, t, 0.08);
            SparsityPlan p = OwlAllocator.budgetMatchedPlan(STORIES, s, t);
            double achieved = p.expectedSparsity(STORIES);
            assertThat(achieved).as("target %s", t).isGreaterThanOrEqualTo(t).isLessThan(t + 172.0 / 226_560);
            for (LayerId id : LayerId.all(STORIES)) {
                int cols = STORIES.colsOf(id.kind());
                long perRow = p.patternOf(id).prunedCount(1, cols);
                // Each layer's per-row count is the floor or the ceiling of the continuous wish (least change).
                assertThat((double) perRow).as("%s at %s", id, t).isBetween(Math.floor(cols * s[id.block()]), Math.ceil(cols * s[id.block()]));
                // Magnitude's per-matrix rule prunes the same rows * k.
                double r = ((dev.mixprune.prune.Pattern.Unstructured) p.patternOf(id)).sparsity();
                int rows = STORIES.rowsOf(id.kind());
                assertThat((long) Math.floor((double) rows * cols * r)).isEqualTo(rows * perRow);
            }
        }
    }

    @Test
    void ratioForCountIsExactForEveryCount() {
        for (int cols : new int[]{64, 172, 100, 4096, 11008}) {
            for (int k = 0; k < cols; k += Math.max(1, cols / 97)) {
                double r = OwlAllocator.ratioForCount(3, cols, k);
                assertThat((long) Math.floor(cols * r)).isEqualTo(k);
                assertThat((long) Math.floor(3.0 * cols * r)).isEqualTo(3L * k);
            }
        }
    }

    @Test
    void outlierRatioMatchesHandCount() {
        // dim 4, hidden 3, kvDim 2: block has 16+8+8+16+12+12+12 = 84 weights.
        LlamaConfig c = new LlamaConfig(4, 3, 1, 2, 1, 8, 8, 1e-5f, 10000f, true);
        EnumMap<LayerKind, Matrix> m = new EnumMap<>(LayerKind.class);
        for (LayerKind k : LayerKind.values()) {
            Matrix w = new Matrix(c.rowsOf(k), c.colsOf(k));
            java.util.Arrays.fill(w.data(), 1f);
            m.put(k, w);
        }
        m.get(LayerKind.WQ).set(0, 0, -40f);  // outlier by weight
        m.get(LayerKind.W2).set(1, 2, 10f);   // 10 * sqrt(16) = 40: outlier through its activation norm
        m.get(LayerKind.W3).set(0, 1, 6f);    // 6: below threshold
        BlockWeights bw = new BlockWeights(new float[4], new float[4], m);
        float[][][] sc = new float[1][4][];
        for (InputGroup g : InputGroup.values()) {
            int n = g == InputGroup.FFN_MID ? 3 : 4;
            sc[0][g.ordinal()] = new float[n];
            java.util.Arrays.fill(sc[0][g.ordinal()], 1f);
        }
        sc[0][InputGroup.FFN_MID.ordinal()][2] = 16f; // column 2 of w2's input: score x4
        // w2 column 2 has 4 rows: three 1s become 4, the 10 becomes 40.
        // sum = 84 - 1 - 1 - 1 - 4 + 40 + 40 + 6 + 3*4 = 175; mean = 175/84 = 2.083; threshold (M 5) = 10.42
        // above: the -40 and the 40 -> D = 100 * 2 / 84
        double d = OwlAllocator.outlierRatio(bw, new WandaScalers(sc), 0, 5);
        assertThat(d).isCloseTo(200.0 / 84, within(1e-12));
        assertThat(OwlAllocator.outlierRatio(bw, new WandaScalers(sc), 0, 20)).isEqualTo(0.0); // threshold 41.7
    }

    @Test
    void fisherMoreSensitiveLessSparseAndWithinBudget() {
        SearchSpace sp = new SearchSpace(STORIES, Levels.unstructured(0.025), Granularity.BLOCK);
        Budget b = Budget.of(sp, 0.75);
        Map<LayerId, Double> f = new HashMap<>();
        double[] blockTrace = {100, 10, 1, 1, 0.1};
        for (LayerId id : LayerId.all(STORIES)) f.put(id, blockTrace[id.block()] / 7);
        int[] g = FisherAllocator.genome(b, FisherAllocator.zScores(sp, f), 0.05);
        assertThat(b.accepts(g)).isTrue();
        assertThat(g[0]).isLessThan(g[1]);
        assertThat(g[1]).isLessThan(g[2]);
        assertThat(g[2]).isEqualTo(g[3]);
        assertThat(g[3]).isLessThan(g[4]);
        // strength 0 is uniform
        int[] u = FisherAllocator.genome(b, FisherAllocator.zScores(sp, f), 0);
        assertThat(u).containsOnly(30);
        double[] z = FisherAllocator.zScores(sp, f);
        assertThat(java.util.Arrays.stream(z).sum()).isCloseTo(0, within(1e-9));
    }

    @Test
    void allocationsFacade() {
        dev.mixprune.model.LlamaWeights w = TinyModels.random(STORIES, 1);
        SparsityPlan u = Allocations.allocate("uniform", new dev.mixprune.io.WeightsBlockSource(w), "nm:8", 0.025, Granularity.LAYER, 0.75, java.util.List.of(), null);
        assertThat(u.layers().values()).containsOnly(new dev.mixprune.prune.Pattern.NM(2, 8));
        Map<LayerId, Double> f = new HashMap<>();
        for (LayerId id : LayerId.all(STORIES)) f.put(id, 1.0 + id.block());
        SparsityPlan fp = Allocations.allocate("fisher", new dev.mixprune.io.WeightsBlockSource(w), "unstructured", 0.025, Granularity.BLOCK, 0.7, java.util.List.of(), f);
        assertThat(fp.allocation()).isEqualTo("fisher");
        assertThat(fp.expectedSparsity(STORIES)).isBetween(0.7, 0.7125);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Allocations.allocate("fisher", new dev.mixprune.io.WeightsBlockSource(w), "unstructured", 0.025, Granularity.BLOCK, 0.7, java.util.List.of(), null))
                .isInstanceOf(dev.mixprune.BadInputException.class).hasMessageContaining("--fisher");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Allocations.allocate("greedy", new dev.mixprune.io.WeightsBlockSource(w), "unstructured", 0.025, Granularity.BLOCK, 0.7, java.util.List.of(), f))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void blockZScoresBroadcastTheBlockTraceToItsLayers() {
        SearchSpace sp = new SearchSpace(STORIES, Levels.unstructured(0.025), Granularity.LAYER);
        Map<LayerId, Double> f = new HashMap<>();
        double[] blockTrace = {8, 4, 2, 1, 1};
        for (LayerId id : LayerId.all(STORIES)) f.put(id, blockTrace[id.block()] * (1 + id.kind().ordinal()) / 28.0);
        double[] z = FisherAllocator.blockZScores(sp, f);
        SearchSpace blocks = new SearchSpace(STORIES, Levels.unstructured(0.025), Granularity.BLOCK);
        double[] zb = FisherAllocator.zScores(blocks, f);
        for (int g = 0; g < z.length; g++) assertThat(z[g]).isEqualTo(zb[g / 7]);
        assertThat(zb[0]).isGreaterThan(zb[1]);
    }

    @Test
    void layerGranularityFisherUsesPerParameterDensity() {
        SearchSpace sp = new SearchSpace(STORIES, Levels.unstructured(0.025), Granularity.LAYER);
        Map<LayerId, Double> f = new HashMap<>();
        // Every layer has the same trace per weight: no preference at all despite different sizes.
        for (LayerId id : LayerId.all(STORIES)) f.put(id, 1e-3 * STORIES.weightsOf(id.kind()));
        assertThat(FisherAllocator.zScores(sp, f)).containsOnly(0.0);
    }
}
