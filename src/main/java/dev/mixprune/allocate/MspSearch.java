package dev.mixprune.allocate;

import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.prune.SparsityPlan;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The whole MSP search for one model: budget, Wanda statistics (dense propagation), cheap
 * candidates, fitness, seeds (uniform + OWL + Fisher at a spread of strengths, or random) and
 * the evolutionary search. The CLI only wires options into {@link Settings}.
 */
public final class MspSearch {
    private MspSearch() {}

    public enum Init { FISHER, RANDOM }

    public record Settings(PruneMethod method, double target, Levels levels, Granularity granularity, Init init,
                           Map<LayerId, Double> fisher, double[] fisherStrengths, KlFitness.Kind fitness,
                           SearchConfig search, double owlLambda, double owlM, double owlNmLambda,
                           LevelDatabase.LayerLevelPruner levelPruner) {
        /** Without a custom level pruner (SparseGPT levels then come from {@link SparseGptLevels}). */
        public Settings(PruneMethod method, double target, Levels levels, Granularity granularity, Init init,
                        Map<LayerId, Double> fisher, double[] fisherStrengths, KlFitness.Kind fitness,
                        SearchConfig search, double owlLambda, double owlM, double owlNmLambda) {
            this(method, target, levels, granularity, init, fisher, fisherStrengths, fitness, search, owlLambda, owlM, owlNmLambda, null);
        }
    }

    public record Outcome(SparsityPlan plan, int[] genome, Budget budget, double bestFitness, EvolutionarySearch.Result result,
                          KlFitness.Timings timings, long setupNanos, List<String> seedNames) {
        public double achieved() { return budget.achieved(genome); }
    }

    public static Outcome run(LlamaWeights dense, List<int[]> statWindows, List<int[]> fitnessWindows, String dataId,
                              Settings s, Path checkpoint, boolean resume, SearchListener listener, Consumer<String> log) throws IOException {
        long t0 = System.nanoTime();
        SearchSpace space = new SearchSpace(dense.config(), s.levels(), s.granularity());
        double target = Budget.nmTargetMatchingUniform(space, s.target());
        if (target != s.target()) {
            log.accept(String.format(Locale.ROOT, "budget: target %.4f is the uniform %s plan, which achieves %.6f (short tail groups); mixed plans must reach that",
                    s.target(), space.levels().pattern(space.levels().nearestLevel(s.target())).text(), target));
        }
        Budget budget = Budget.of(space, target);
        log.accept("budget: " + budget + ", " + space.geneCount() + " genes x " + space.levels().count() + " levels (" + space.levels().name() + ")");

        WandaScalers scalers = WandaScalers.collect(dense, statWindows);
        CandidateModel cm = switch (s.method()) {
            case MAGNITUDE -> CandidateModel.magnitude(dense, space);
            case WANDA -> CandidateModel.wanda(dense, space, scalers);
            case SPARSEGPT -> {
                // EvoPress level database: each layer pruned once per level with SparseGPT (dense H).
                LevelDatabase.LayerLevelPruner p = s.levelPruner() != null ? s.levelPruner() : SparseGptLevels.pruner(dense, statWindows, log);
                long tdb = System.nanoTime();
                LevelDatabase db = LevelDatabase.build(dense, space, p);
                log.accept(String.format(Locale.ROOT, "level database: %d layers x %d levels pruned with SparseGPT in %.1f s",
                        space.config().nLayers() * 7, space.levels().count(), (System.nanoTime() - tdb) / 1e9));
                yield CandidateModel.fromDatabase(dense, db);
            }
        };
        KlFitness fitness = new KlFitness(cm, fitnessWindows, s.fitness(), dataId + ",method=" + s.method().name().toLowerCase(Locale.ROOT));

        List<int[]> seeds = new ArrayList<>();
        List<String> names = new ArrayList<>();
        if (s.init() == Init.FISHER) {
            seeds.add(budget.roundToLevels(Budget.uniformDesired(space, target)));
            names.add("uniform");
            double[] d = OwlAllocator.outlierRatios(dense, scalers, s.owlM());
            if (space.levels().isNM()) {
                int m = ((Pattern.NM) space.levels().pattern(0)).m();
                int kept = (int) Math.max(1, Math.min(m - 1, Math.round((1 - s.target()) * m)));
                seeds.add(OwlAllocator.genomeNM(budget, OwlAllocator.blockKeptNM(d, kept, m, s.owlNmLambda())));
            } else {
                seeds.add(OwlAllocator.genome(budget, OwlAllocator.blockSparsities(d, target, s.owlLambda())));
            }
            names.add("owl");
            if (s.fisher() != null) {
                double[] z = FisherAllocator.zScores(space, s.fisher());
                for (double a : s.fisherStrengths()) {
                    seeds.add(FisherAllocator.genome(budget, z, a));
                    names.add("fisher(a=" + a + ")");
                }
                if (space.granularity() == Granularity.LAYER) {
                    double[] zb = FisherAllocator.blockZScores(space, s.fisher());
                    for (double a : s.fisherStrengths()) {
                        seeds.add(FisherAllocator.genome(budget, zb, a));
                        names.add("fisher-block(a=" + a + ")");
                    }
                }
            } else {
                log.accept("warning: no --fisher file: the initial population is uniform + OWL (+ mutants); run `sensitivity` first for MSP proper");
            }
        } else {
            int n = Math.max(s.search().parents(), 8);
            seeds.addAll(InitialPopulation.random(budget, n, s.search().seed()));
            for (int i = 0; i < n; i++) names.add("random" + i);
        }
        long setup = System.nanoTime() - t0;
        EvolutionarySearch.Result r = new EvolutionarySearch(budget, fitness, s.search()).run(seeds, checkpoint, resume, listener);
        SparsityPlan plan = space.toPlan(r.best(), "msp");
        return new Outcome(plan, r.best(), budget, r.bestFitness(), r, fitness.timings(), setup, names);
    }
}
