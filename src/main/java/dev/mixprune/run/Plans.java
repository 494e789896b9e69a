package dev.mixprune.run;

import dev.mixprune.allocate.Allocations;
import dev.mixprune.allocate.CandidateEvaluator;
import dev.mixprune.allocate.FisherAllocator;
import dev.mixprune.allocate.FitnessWindows;
import dev.mixprune.allocate.Granularity;
import dev.mixprune.allocate.InitialPopulation;
import dev.mixprune.allocate.KlFitness;
import dev.mixprune.allocate.Levels;
import dev.mixprune.allocate.MspSearch;
import dev.mixprune.allocate.OwlAllocator;
import dev.mixprune.allocate.SearchConfig;
import dev.mixprune.allocate.SearchListener;
import dev.mixprune.allocate.SearchTrace;
import dev.mixprune.cluster.Coordinator;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.progress.ProgressFactory;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.prune.SparsityPlan;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds a plan by allocation name: the one place where {@code uniform | owl | owl-reference | fisher | msp} is
 * turned into a {@link SparsityPlan}, shared by {@code run} and {@code prune --allocation}.
 */
public final class Plans {
    private Plans() {}

    public static final List<String> ALLOCATIONS = List.of("uniform", "owl", "owl-reference", "fisher", "msp");

    /** What to allocate: name, the method the plan is for, target, level grid and search settings. */
    public record Request(String allocation, PruneMethod method, double target, String levels, double step, Granularity granularity,
                          SearchConfig search, int fitnessWindows, long seed) {
        public Request {
            if (!ALLOCATIONS.contains(allocation)) {
                throw new IllegalArgumentException("unknown allocation '" + allocation + "', expected uniform, owl, owl-reference, fisher or msp");
            }
        }
    }

    /**
     * @param dense       the dense model, read block by block (a memory-mapped file, or a model in memory)
     * @param statWindows calibration windows for Wanda/OWL statistics (dense propagation)
     * @param traces      per-layer Fisher traces (fisher and msp)
     * @param calibStream the calibration token stream (msp draws its fitness windows from it with another seed)
     * @param workDir     where msp writes search-trace.json and its checkpoint
     */
    public static SparsityPlan build(Request r, dev.mixprune.io.BlockSource dense, List<int[]> statWindows, Map<LayerId, Double> traces, int[] calibStream,
                                     String dataId, Path workDir, PrintStream log) throws IOException {
        return build(r, dense, statWindows, traces, calibStream, dataId, workDir, log, ProgressFactory.quiet());
    }

    /** With the search's progress (set-up stage, generation bar) on {@code progress}. */
    public static SparsityPlan build(Request r, dev.mixprune.io.BlockSource dense, List<int[]> statWindows, Map<LayerId, Double> traces, int[] calibStream,
                                     String dataId, Path workDir, PrintStream log, ProgressFactory progress) throws IOException {
        return build(r, dense, statWindows, traces, calibStream, dataId, workDir, log, progress, null, null);
    }

    /**
     * @param cluster with msp: the coordinator whose workers evaluate the candidates (null: this process)
     * @param model   with a cluster: the file {@code dense} was read from (the workers open their copy)
     */
    public static SparsityPlan build(Request r, dev.mixprune.io.BlockSource dense, List<int[]> statWindows, Map<LayerId, Double> traces, int[] calibStream,
                                     String dataId, Path workDir, PrintStream log, ProgressFactory progress, Coordinator cluster, Path model)
            throws IOException {
        if (!r.allocation().equals("msp")) {
            // The direct Fisher mapping is only better than uniform with block genes (docs/msp.md), so it always uses them.
            Granularity g = r.allocation().equals("fisher") ? FisherAllocator.DEFAULT_GRANULARITY : r.granularity();
            return Allocations.allocate(r.allocation(), dense, r.levels(), r.step(), g, r.target(), statWindows, traces);
        }
        return msp(r, dense, statWindows, traces, calibStream, dataId, workDir, MspSearch.Resources.defaults(workDir), log, progress, cluster, model);
    }

    /**
     * The msp plan: the search streamed from {@code source} (a memory-mapped file: one block in memory at a
     * time), with fitness windows drawn from the calibration stream with another seed.
     */
    public static SparsityPlan msp(Request r, dev.mixprune.io.BlockSource source, List<int[]> statWindows, Map<LayerId, Double> traces,
                                   int[] calibStream, String dataId, Path workDir, MspSearch.Resources resources, PrintStream log) throws IOException {
        return msp(r, source, statWindows, traces, calibStream, dataId, workDir, resources, log, ProgressFactory.quiet());
    }

    /**
     * With progress: a quiet {@code progress} keeps the old behaviour (one "search: gen ..." line per generation on
     * {@code log}); otherwise the set-up stage, a generation bar and the lines go through {@code progress}.
     */
    public static SparsityPlan msp(Request r, dev.mixprune.io.BlockSource source, List<int[]> statWindows, Map<LayerId, Double> traces,
                                   int[] calibStream, String dataId, Path workDir, MspSearch.Resources resources, PrintStream log,
                                   ProgressFactory progress) throws IOException {
        return msp(r, source, statWindows, traces, calibStream, dataId, workDir, resources, log, progress, null, null);
    }

    /**
     * As above, the candidates evaluated by {@code cluster}'s workers when it is not null ({@code model}: the file
     * the workers open their copy of); search-trace.json then also says who evaluated how much.
     */
    public static SparsityPlan msp(Request r, dev.mixprune.io.BlockSource source, List<int[]> statWindows, Map<LayerId, Double> traces,
                                   int[] calibStream, String dataId, Path workDir, MspSearch.Resources resources, PrintStream log,
                                   ProgressFactory progress, Coordinator cluster, Path model) throws IOException {
        CandidateEvaluator.Factory evaluators = cluster == null ? CandidateEvaluator.Factory.LOCAL : cluster.searchEvaluators(model);
        // Fitness windows use another seed than the pruning windows; neither is ever evaluated on.
        int len = statWindows.get(0).length;
        List<int[]> fitness = FitnessWindows.sample(calibStream, r.fitnessWindows(), len, ~r.seed());
        MspSearch.Settings ms = new MspSearch.Settings(r.method(), r.target(), Levels.parse(r.levels(), r.step()),
                r.granularity(), MspSearch.Init.FISHER, traces, InitialPopulation.DEFAULT_STRENGTHS, KlFitness.Kind.KL, r.search(),
                OwlAllocator.DEFAULT_LAMBDA, OwlAllocator.DEFAULT_M, OwlAllocator.DEFAULT_NM_LAMBDA).withResources(resources);
        MspSearch.Outcome o;
        if (progress.isQuiet()) {
            SearchListener listener = p -> log.printf(Locale.ROOT, "search: gen %d/%d best %.5f mean %.5f, %.1f cand/s, ETA %.0f s%n",
                    p.generation(), p.generations(), p.bestFitness(), p.meanFitness(), p.candidatesPerSecond(), p.etaSeconds());
            o = MspSearch.run(source, statWindows.subList(0, Math.min(64, statWindows.size())), fitness, dataId, ms,
                    workDir.resolve("search.checkpoint.json"), false, listener, log::println, evaluators);
        } else {
            try (SearchProgress sp = new SearchProgress(progress, "search: ")) {
                o = MspSearch.run(source, statWindows.subList(0, Math.min(64, statWindows.size())), fitness, dataId, ms,
                        workDir.resolve("search.checkpoint.json"), false, sp, sp::log, evaluators);
            }
        }
        SearchTrace.save(o.result().trace(), cluster == null ? null : cluster.traceBlock(), workDir.resolve("search-trace.json"));
        return o.plan();
    }

}
