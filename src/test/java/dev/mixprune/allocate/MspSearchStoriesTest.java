package dev.mixprune.allocate;

import dev.mixprune.SharedFiles;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.model.LlamaForward;
import dev.mixprune.model.LlamaWeights;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A tiny real search on stories260K (runs once the batched forward exists; skipped while it is a stub). */
class MspSearchStoriesTest {

    @Test
    void tinyRealSearchIsWithinBudgetDeterministicAndResumable(@TempDir Path dir) throws Exception {
        LoadedModel lm = ModelLoader.load(SharedFiles.require(SharedFiles.stories260KBin()), null);
        LlamaWeights w = lm.weights();
        try {
            LlamaForward.logits(w, new int[]{1, 2});
        } catch (UnsupportedOperationException e) {
            Assumptions.abort("LlamaForward is still a stub on this branch");
        }
        int[] stream = FitnessWindows.tokenize(SharedFiles.require(SharedFiles.tinyStoriesCalib()), lm.requireTokenizer());
        List<int[]> stats = FitnessWindows.sample(stream, 8, 128, 1);
        List<int[]> fit = FitnessWindows.sample(stream, 8, 128, 2);
        SearchConfig cfg = new SearchConfig(3, 6, 2, new int[]{64, 256}, new int[]{2}, 0.5, 2, 3, 5);
        MspSearch.Settings s = new MspSearch.Settings(MspSearch.Method.WANDA, 0.75, Levels.unstructured(0.025), Granularity.LAYER,
                MspSearch.Init.FISHER, null, InitialPopulation.DEFAULT_STRENGTHS, KlFitness.Kind.KL, cfg, 0.08, 5, 2);
        List<String> log = new ArrayList<>();
        MspSearch.Outcome a = MspSearch.run(w, stats, fit, "t", s, dir.resolve("a.json"), false, SearchListener.NONE, log::add);
        assertThat(a.achieved()).isGreaterThanOrEqualTo(0.75).isLessThanOrEqualTo(0.7625);
        assertThat(a.plan().expectedSparsity(w.config())).isEqualTo(a.achieved());
        assertThat(a.bestFitness()).isPositive().isFinite();
        assertThat(a.timings().forwardNanos()).isPositive();
        assertThat(log).anyMatch(l -> l.contains("no --fisher"));

        // Interrupted after generation 1, resumed: the same plan and trace.
        SearchConfig shortCfg = new SearchConfig(1, 6, 2, new int[]{64, 256}, new int[]{2}, 0.5, 2, 3, 5);
        MspSearch.Settings s1 = new MspSearch.Settings(MspSearch.Method.WANDA, 0.75, Levels.unstructured(0.025), Granularity.LAYER,
                MspSearch.Init.FISHER, null, InitialPopulation.DEFAULT_STRENGTHS, KlFitness.Kind.KL, shortCfg, 0.08, 5, 2);
        MspSearch.run(w, stats, fit, "t", s1, dir.resolve("b.json"), false, SearchListener.NONE, log::add);
        MspSearch.Outcome b = MspSearch.run(w, stats, fit, "t", s, dir.resolve("b.json"), true, SearchListener.NONE, log::add);
        assertThat(b.result().resumedFrom()).isEqualTo(1);
        assertThat(b.genome()).containsExactly(a.genome());
        assertThat(b.result().trace()).isEqualTo(a.result().trace());
    }
}
