package dev.mixprune.allocate;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.InputGroup;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.prune.InputStats;
import dev.mixprune.prune.LayerPruner;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.prune.SparseGptOptions;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The search's candidates are the pruners' masks: for every level of every layer, the weights
 * {@link ScoredLevels#apply} derives on the fly equal, bit for bit, what {@link LayerPruner} writes
 * for that level's pattern with the same statistics. Awkward shapes (37 and 12 inputs: no multiple
 * of M = 8, short tail groups), heavy ties in weights and in Wanda's activation norms.
 */
class ScoredLevelsTest {
    // hidden 37 is not a multiple of 3, 4 or 8; dim 12 not of 8.
    static final LlamaConfig C = new LlamaConfig(12, 37, 2, 2, 1, 19, 16, 1e-5f, 10000f, true);

    /** Weights drawn from a handful of values (ties everywhere), a few rows all equal. */
    static LlamaWeights tiedModel(long seed) {
        LlamaWeights w = TinyModels.random(C, seed);
        Random r = new Random(seed);
        float[] values = {-2f, -1f, -0.5f, 0f, 0.5f, 1f, 2f, 0.25f};
        for (LayerId id : LayerId.all(C)) {
            float[] d = w.linear(id).data();
            for (int i = 0; i < d.length; i++) d[i] = r.nextInt(3) == 0 ? d[i] : values[r.nextInt(values.length)];
            int cols = w.linear(id).cols();
            java.util.Arrays.fill(d, 0, cols, 1f); // row 0: one value throughout
        }
        return w;
    }

    /** Statistics whose inputs repeat columns (equal scaler rows: ties in Wanda's score across columns). */
    static Map<InputGroup, InputStats> tiedStats(long seed) {
        Random r = new Random(seed);
        Map<InputGroup, InputStats> m = new EnumMap<>(InputGroup.class);
        for (InputGroup g : InputGroup.values()) {
            int in = g == InputGroup.FFN_MID ? C.hiddenDim() : C.dim();
            InputStats st = new InputStats(in, true);
            Matrix x = new Matrix(2 * 5, in);
            for (int t = 0; t < x.rows(); t++) {
                for (int j = 0; j < in; j++) x.set(t, j, j % 3 == 0 ? x.get(t, 0) : (float) r.nextGaussian());
            }
            st.add(x, 2, 5);
            m.put(g, st);
        }
        return m;
    }

    @Test
    void everyLevelIsBitForBitWhatTheMagnitudeAndWandaPrunersWrite(@TempDir Path dir) throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            LlamaWeights w = seed == 1 ? TinyModels.random(C, 40) : tiedModel(seed);
            for (Levels lv : List.of(Levels.unstructured(0.025), Levels.unstructured(0.3), Levels.nm(8), Levels.nm(4), Levels.nm(3))) {
                for (PruneMethod method : List.of(PruneMethod.MAGNITUDE, PruneMethod.WANDA)) {
                    SearchSpace sp = new SearchSpace(C, lv, Granularity.LAYER);
                    Path cuts = dir.resolve("cuts-" + seed + "-" + lv.name().replace(':', '_') + "-" + method);
                    ScoredLevels.Builder b = new ScoredLevels.Builder(sp, method, cuts);
                    @SuppressWarnings("unchecked")
                    Map<InputGroup, InputStats>[] stats = new Map[C.nLayers()];
                    for (int blk = 0; blk < C.nLayers(); blk++) {
                        stats[blk] = tiedStats(seed * 10 + blk);
                        b.accept(blk, w.block(blk), stats[blk]);
                    }
                    try (ScoredLevels levels = b.finish()) {
                        LayerPruner pruner = LayerPruner.of(method, SparseGptOptions.defaults());
                        for (LayerId id : LayerId.all(C)) {
                            Matrix dense = w.linear(id);
                            for (int l = 0; l < lv.count(); l++) {
                                Matrix got = dense.copy();
                                levels.apply(id, l, got);
                                Matrix want = dense.copy();
                                pruner.prune(want, lv.pattern(l), stats[id.block()].get(id.kind().input()));
                                assertThat(bits(got)).as("seed %d %s %s %s level %s", seed, method, id, lv.name(), lv.pattern(l).text())
                                        .isEqualTo(bits(want));
                            }
                        }
                        assertThat(dense(w)).as("the dense model is untouched").isTrue();
                    }
                }
            }
        }
    }

    @Test
    void levelCutsAreSmallAndNmNeedsNone(@TempDir Path dir) throws Exception {
        SearchSpace un = new SearchSpace(C, Levels.unstructured(0.025), Granularity.LAYER);
        long rows = 0;
        for (LayerKind k : LayerKind.values()) rows += C.rowsOf(k);
        assertThat(ScoredLevels.cutBytes(un, PruneMethod.WANDA)).isEqualTo(rows * C.nLayers() * 40 * 12);
        assertThat(ScoredLevels.cutBytes(un, PruneMethod.MAGNITUDE)).isEqualTo(7L * C.nLayers() * 40 * 12);
        assertThat(ScoredLevels.cutBytes(new SearchSpace(C, Levels.nm(8), Granularity.LAYER), PruneMethod.WANDA)).isZero();

        LlamaWeights w = TinyModels.random(C, 2);
        ScoredLevels.Builder b = new ScoredLevels.Builder(un, PruneMethod.WANDA, dir.resolve("c"));
        for (int blk = 0; blk < C.nLayers(); blk++) b.accept(blk, w.block(blk), tiedStats(blk));
        try (ScoredLevels s = b.finish()) {
            assertThat(s.diskBytes()).isEqualTo(ScoredLevels.cutBytes(un, PruneMethod.WANDA));
        }
    }

    private static int[] bits(Matrix m) {
        int[] b = new int[m.size()];
        for (int i = 0; i < b.length; i++) b[i] = Float.floatToRawIntBits(m.data()[i]);
        return b;
    }

    private static boolean dense(LlamaWeights w) {
        for (int blk = 0; blk < C.nLayers(); blk++) {
            BlockWeights bw = w.block(blk);
            for (LayerKind k : LayerKind.values()) if (bw.linear(k).countZeros() > bw.linear(k).size() / 2) return false;
        }
        return true;
    }
}
