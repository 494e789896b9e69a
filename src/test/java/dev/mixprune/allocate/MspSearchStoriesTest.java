package dev.mixprune.allocate;

import dev.mixprune.SharedFiles;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.MappedBlockSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A tiny real search on stories260K. */
class MspSearchStoriesTest {
    // Read once: both searches use the same model and the same statistics / fitness windows.
    static LlamaWeights w;
    static BlockSource src;
    static List<int[]> stats, fit;

    @BeforeAll
    static void load() throws Exception {
        LoadedModel lm = ModelLoader.load(SharedFiles.require(SharedFiles.stories260KBin()), null);
        w = lm.weights();
        src = MappedBlockSource.open(SharedFiles.require(SharedFiles.stories260KBin()), null);
        int[] stream = FitnessWindows.tokenize(SharedFiles.require(SharedFiles.tinyStoriesCalib()), lm.requireTokenizer());
        stats = FitnessWindows.sample(stream, 8, 128, 1);
        fit = FitnessWindows.sample(stream, 8, 128, 2);
    }

    /** A small search: population 6, the given number of generations. */
    static SearchConfig config(int generations) {
        return new SearchConfig(generations, 6, 2, new int[]{64, 256}, new int[]{2}, 0.5, 2, 3, 5);
    }

    /** Target 0.75, Fisher-initialised, KL fitness. */
    static MspSearch.Settings settings(dev.mixprune.prune.PruneMethod method, Levels levels, SearchConfig cfg) {
        return new MspSearch.Settings(method, 0.75, levels, Granularity.LAYER,
                MspSearch.Init.FISHER, null, InitialPopulation.DEFAULT_STRENGTHS, KlFitness.Kind.KL, cfg, 0.08, 5, 2)
                .withResources(MspSearch.Resources.defaults(scratch));
    }

    @TempDir static Path scratch;

    @AfterAll
    static void close() { src.close(); }

    /** Nothing left in the scratch parent: the work directory was deleted. */
    static void assertNoScratchLeft() throws Exception {
        try (var l = Files.list(scratch)) {
            assertThat(l.filter(p -> p.getFileName().toString().startsWith(".work.mixprune-"))).isEmpty();
        }
    }

    @Test
    void tinyRealSearchIsWithinBudgetDeterministicAndResumable(@TempDir Path dir) throws Exception {
        MspSearch.Settings s = settings(dev.mixprune.prune.PruneMethod.WANDA, Levels.unstructured(0.025), config(3));
        List<String> log = new ArrayList<>();
        MspSearch.Outcome a = MspSearch.run(src, stats, fit, "t", s, dir.resolve("a.json"), false, SearchListener.NONE, log::add);
        assertThat(a.achieved()).isGreaterThanOrEqualTo(0.75).isLessThanOrEqualTo(0.7505);
        assertThat(a.plan().expectedSparsity(w.config())).isEqualTo(a.achieved());
        assertThat(a.bestFitness()).isPositive().isFinite();
        assertThat(a.timings().forwardNanos()).isPositive();
        assertThat(log).anyMatch(l -> l.contains("no --fisher"));

        // Interrupted after generation 1, resumed: the same plan and trace.
        MspSearch.Settings s1 = settings(dev.mixprune.prune.PruneMethod.WANDA, Levels.unstructured(0.025), config(1));
        MspSearch.run(src, stats, fit, "t", s1, dir.resolve("b.json"), false, SearchListener.NONE, log::add);
        MspSearch.Outcome b = MspSearch.run(src, stats, fit, "t", s, dir.resolve("b.json"), true, SearchListener.NONE, log::add);
        assertThat(b.result().resumedFrom()).isEqualTo(1);
        assertNoScratchLeft();
        assertThat(b.genome()).containsExactly(a.genome());
        // Same plan and evaluations; fitness values agree to float rounding only, because the batched
        // forward is not bit-reproducible between JIT tiers in one JVM (Vector API FMA vs scalar).
        assertThat(b.result().trace()).hasSameSizeAs(a.result().trace());
        for (int i = 0; i < a.result().trace().size(); i++) {
            TraceEntry x = a.result().trace().get(i), y = b.result().trace().get(i);
            assertThat(y.evaluations()).isEqualTo(x.evaluations());
            assertThat(y.bestFitness()).isCloseTo(x.bestFitness(), org.assertj.core.api.Assertions.within(1e-6 * x.bestFitness()));
        }
    }

    @Test
    void sparseGptSearchUsesALevelDatabaseOnDiskAndCleansUp() throws Exception {
        SearchSpace sp = new SearchSpace(w.config(), Levels.nm(8), Granularity.LAYER);
        try (dev.mixprune.resources.WorkDir work = dev.mixprune.resources.WorkDir.create(scratch, LevelDatabase.bytes(sp, LevelDatabase.Storage.F32), "test")) {
            LevelDatabase.Builder b = new LevelDatabase.Builder(sp, LevelDatabase.Storage.F32, LevelDatabase.sparseGpt(m -> { }), work.file("db"));
            DenseStatistics.run(src, stats, true, 4, dev.mixprune.resources.HeapGuard.none(), b);
            try (LevelDatabase db = b.finish()) {
                assertThat(db.diskBytes()).isEqualTo(LevelDatabase.bytes(sp, LevelDatabase.Storage.F32));
                for (dev.mixprune.model.LayerId id : dev.mixprune.model.LayerId.all(w.config())) {
                    for (int l = 0; l < sp.levels().count(); l++) {
                        dev.mixprune.tensor.Matrix m = db.get(id, l);
                        // N:M masks are exact; SparseGPT also updates the kept weights (unlike a mask of the dense ones).
                        assertThat(m.countZeros()).isEqualTo(sp.levels().pattern(l).prunedCount(m.rows(), m.cols()));
                    }
                }
                dev.mixprune.model.LayerId wq = new dev.mixprune.model.LayerId(0, dev.mixprune.model.LayerKind.WQ);
                float[] d = w.linear(wq).data(), p = db.get(wq, 5).data();
                int changed = 0;
                for (int i = 0; i < d.length; i++) if (p[i] != 0f && p[i] != d[i]) changed++;
                assertThat(changed).isPositive();
            }
        }
        assertNoScratchLeft();

        MspSearch.Settings s = settings(dev.mixprune.prune.PruneMethod.SPARSEGPT, Levels.nm(8), config(2));
        List<String> log = new ArrayList<>();
        MspSearch.Outcome o = MspSearch.run(src, stats, fit, "t", s, null, false, SearchListener.NONE, log::add);
        assertThat(log).anyMatch(l -> l.contains("level database"));
        assertThat(log).anyMatch(l -> l.startsWith("search plan: peak memory"));
        assertThat(o.achieved()).isGreaterThanOrEqualTo(o.budget().target()).isLessThanOrEqualTo(o.budget().target() + 0.001);
        assertNoScratchLeft();

        // A failing level pruner: the search fails and its scratch files are gone too.
        MspSearch.Settings failing = s.withLevelPruner((id, m, pattern, st) -> {
            if (id.block() == 2) throw new IllegalStateException("boom in " + id);
        });
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MspSearch.run(src, stats, fit, "t", failing, null, false, SearchListener.NONE, log::add))
                .hasMessageContaining("boom in blk.2");
        assertNoScratchLeft();
    }
}
