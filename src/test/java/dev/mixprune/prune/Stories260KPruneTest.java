package dev.mixprune.prune;

import dev.mixprune.SharedFiles;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The three methods on the real stories260K with the real block forward. */
class Stories260KPruneTest {
    static LoadedModel model;
    static List<int[]> windows;

    @BeforeAll
    static void load() throws Exception {
        model = ModelLoader.load(SharedFiles.require(SharedFiles.stories260KBin()), SharedFiles.require(SharedFiles.tok512()));
        // Calibration text as in protocols.md C (blank-line separated paragraphs, each [BOS] + encode),
        // windows at seeded offsets: the exact protocol-C sampler is not what this test is about.
        String text = Files.readString(SharedFiles.require(SharedFiles.tinyStoriesCalib()));
        List<Integer> ids = new ArrayList<>();
        for (String para : text.split("\\n\\s*\\n")) {
            String p = para.strip();
            if (p.isEmpty()) continue;
            for (int t : model.requireTokenizer().encodeDocument(p)) ids.add(t);
        }
        int seqLen = 128, n = 8;
        Random r = new Random(0);
        windows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int s = r.nextInt(ids.size() - seqLen);
            int[] w = new int[seqLen];
            for (int t = 0; t < seqLen; t++) w[t] = ids.get(s + t);
            windows.add(w);
        }
    }

    static PruneResult run(PruneMethod m, Pattern p, Propagation prop) { return run(m, p, prop, true); }

    static PruneResult run(PruneMethod m, Pattern p, Propagation prop, boolean errors) {
        LlamaWeights w = model.weights().copy();
        return new SequentialPruner(SequentialPruner.Options.of(m).withPropagation(prop).withReconstructionError(errors), PruneListener.NONE)
                .run(w, SparsityPlan.uniform(w.config(), p), windows);
    }

    /**
     * Issue 15: a mixed plan from the search's budget, pruned by each method on the real model,
     * achieves within 0.001 of the target (the budget counts each method's own zeros; before, the
     * search counted Wanda's per-row floor and SparseGPT/magnitude plans landed up to 0.007 above).
     */
    @Test
    void aBudgetedMixedPlanAchievesItsTargetWithEveryMethod() {
        var c = model.weights().config();
        for (PruneMethod m : PruneMethod.values()) {
            var space = new dev.mixprune.allocate.SearchSpace(c, dev.mixprune.allocate.Levels.unstructured(0.025), dev.mixprune.allocate.Granularity.LAYER, m);
            for (double target : new double[]{0.7423, 0.8}) {
                var budget = dev.mixprune.allocate.Budget.of(space, target);
                Random r = new Random(7);
                double[] want = new double[space.geneCount()];
                for (int i = 0; i < want.length; i++) want[i] = target + 0.15 * (r.nextDouble() - 0.5);   // a spread of off-grid wishes
                SparsityPlan plan = space.toPlan(budget.roundToLevels(want), "t");
                LlamaWeights w = model.weights().copy();
                new SequentialPruner(SequentialPruner.Options.of(m), PruneListener.NONE).run(w, plan, windows.subList(0, 2)); // counts only
                long zeros = 0, total = 0;
                for (LayerId id : LayerId.all(c)) { zeros += w.linear(id).countZeros(); total += w.linear(id).data().length; }
                double achieved = (double) zeros / total;
                assertThat(achieved).as("%s at %.4f", m, target).isGreaterThanOrEqualTo(target).isLessThanOrEqualTo(target + 0.001);
            }
        }
    }

    /** Acceptance 2: on identical (dense-propagated) calibration inputs, SparseGPT wins on every layer. */
    @Test
    void sparseGptHasLowerReconstructionErrorThanWandaAndMagnitudeOnEveryLayer() {
        for (Pattern p : List.of(new Pattern.Unstructured(0.5), new Pattern.NM(2, 4))) {
            PruneResult mag = run(PruneMethod.MAGNITUDE, p, Propagation.DENSE);
            PruneResult wanda = run(PruneMethod.WANDA, p, Propagation.DENSE);
            PruneResult sgpt = run(PruneMethod.SPARSEGPT, p, Propagation.DENSE);
            for (LayerId id : LayerId.all(model.weights().config())) {
                double e = sgpt.layer(id).reconstructionError();
                assertThat(e).as("%s %s vs wanda", p.text(), id).isLessThan(wanda.layer(id).reconstructionError());
                assertThat(e).as("%s %s vs magnitude", p.text(), id).isLessThan(mag.layer(id).reconstructionError());
            }
        }
    }

    /** With pruned propagation every method is measured on its own inputs (those it was calibrated on). */
    @Test
    void sparseGptAlsoWinsWithPrunedPropagationOnItsOwnInputs() {
        for (Pattern p : List.of(new Pattern.Unstructured(0.5), new Pattern.NM(2, 4))) {
            PruneResult mag = run(PruneMethod.MAGNITUDE, p, Propagation.PRUNED);
            PruneResult wanda = run(PruneMethod.WANDA, p, Propagation.PRUNED);
            PruneResult sgpt = run(PruneMethod.SPARSEGPT, p, Propagation.PRUNED);
            for (LayerId id : LayerId.all(model.weights().config())) {
                double e = sgpt.layer(id).reconstructionError();
                assertThat(e).as("%s %s vs wanda", p.text(), id).isLessThan(wanda.layer(id).reconstructionError());
                assertThat(e).as("%s %s vs magnitude", p.text(), id).isLessThan(mag.layer(id).reconstructionError());
            }
        }
    }

    @Test
    void achievedSparsityMatchesThePatternsOnEveryLayer() {
        var c = model.weights().config();
        for (PruneMethod m : PruneMethod.values()) {
            PruneResult nm = run(m, new Pattern.NM(2, 4), Propagation.PRUNED, false);
            for (PruneResult.LayerReport r : nm.layers()) {
                // w2 has 172 inputs = 43 groups of 4: exact. SparseGPT may add zeros only through dead inputs.
                long expected = new Pattern.NM(2, 4).prunedCount(c.rowsOf(r.id().kind()), c.colsOf(r.id().kind()));
                assertThat(r.zeros()).as("%s %s", m, r.id()).isGreaterThanOrEqualTo(expected);
                if (m != PruneMethod.SPARSEGPT) assertThat(r.zeros()).isEqualTo(expected);
            }
        }
        PruneResult w = run(PruneMethod.WANDA, new Pattern.Unstructured(0.7), Propagation.PRUNED, false);
        for (PruneResult.LayerReport r : w.layers()) {
            int rows = c.rowsOf(r.id().kind()), cols = c.colsOf(r.id().kind());
            assertThat(r.zeros()).isEqualTo((long) rows * (long) Math.floor(cols * 0.7));
        }
    }
}
