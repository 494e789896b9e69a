package dev.mixprune.allocate;

import dev.mixprune.io.BlockSource;
import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.model.InputGroup;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.prune.SparsityPlan;
import dev.mixprune.resources.HeapGuard;
import dev.mixprune.resources.ResourcePlan;
import dev.mixprune.resources.Speed;
import dev.mixprune.resources.WorkDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The whole MSP search for one model, streamed from a {@link BlockSource}: budget; one dense
 * statistics pass block by block (Wanda's scaler rows, OWL's outlier ratios, and what the
 * candidates need: {@link ScoredLevels}' cuts, or SparseGPT's {@link LevelDatabase}); the dense
 * targets of the fitness; the seeds (uniform + OWL + Fisher at a spread of strengths, or random);
 * the evolutionary search with every candidate evaluated block by block from the source. A
 * {@link ResourcePlan} is made (and {@code --max-memory} checked) before any of it starts; scratch
 * files live in a {@link WorkDir} deleted on success and failure. The CLI only wires options into
 * {@link Settings}.
 */
public final class MspSearch {
    private MspSearch() {}

    public enum Init { FISHER, RANDOM }

    /**
     * @param workDir   parent of the scratch directory (level database, cuts)
     * @param maxMemory bound on the planned peak (null: none); batch and chunk sizes are chosen under it
     */
    public record Resources(Path workDir, Long maxMemory, Speed speed) {
        public static Resources defaults(Path workDir) { return new Resources(workDir, null, Speed.assumed()); }
    }

    public record Settings(PruneMethod method, double target, Levels levels, Granularity granularity, Init init,
                           Map<LayerId, Double> fisher, double[] fisherStrengths, KlFitness.Kind fitness, int topK,
                           SearchConfig search, double owlLambda, double owlM, double owlNmLambda,
                           LevelDatabase.LayerLevelPruner levelPruner, Resources resources) {
        /** Top-64 KL, SparseGPT's own level pruner, scratch files under the system temporary directory. */
        public Settings(PruneMethod method, double target, Levels levels, Granularity granularity, Init init,
                        Map<LayerId, Double> fisher, double[] fisherStrengths, KlFitness.Kind fitness,
                        SearchConfig search, double owlLambda, double owlM, double owlNmLambda) {
            this(method, target, levels, granularity, init, fisher, fisherStrengths, fitness, KlFitness.DEFAULT_TOP_K, search, owlLambda, owlM,
                    owlNmLambda, null, Resources.defaults(Path.of(System.getProperty("java.io.tmpdir"))));
        }

        public Settings withTopK(int k) {
            return new Settings(method, target, levels, granularity, init, fisher, fisherStrengths, fitness, k, search, owlLambda, owlM, owlNmLambda,
                    levelPruner, resources);
        }

        public Settings withResources(Resources r) {
            return new Settings(method, target, levels, granularity, init, fisher, fisherStrengths, fitness, topK, search, owlLambda, owlM, owlNmLambda,
                    levelPruner, r);
        }

        public Settings withLevelPruner(LevelDatabase.LayerLevelPruner p) {
            return new Settings(method, target, levels, granularity, init, fisher, fisherStrengths, fitness, topK, search, owlLambda, owlM, owlNmLambda,
                    p, resources);
        }

        public Settings withSearch(SearchConfig c) {
            return new Settings(method, target, levels, granularity, init, fisher, fisherStrengths, fitness, topK, c, owlLambda, owlM, owlNmLambda,
                    levelPruner, resources);
        }
    }

    public record Outcome(SparsityPlan plan, int[] genome, Budget budget, double bestFitness, EvolutionarySearch.Result result,
                          KlFitness.Timings timings, long setupNanos, List<String> seedNames, Plan resources) {
        public double achieved() { return budget.achieved(genome); }
    }

    /** What the search will use, and the sizes chosen so that it fits {@code --max-memory}. */
    public record Plan(ResourcePlan resources, int statChunk, KlFitness.Options fitness, LevelDatabase.Storage storage, long heapLimit) {}

    /** Sequences per chunk of the statistics forward when memory allows (as SequentialPruner). */
    static final int STAT_CHUNK = 16;

    /**
     * Peak memory, disk and time of a search, and the statistics chunk and forward batch budget
     * chosen under the memory bound (the largest that fit; the defaults when there is no bound).
     */
    public static Plan plan(BlockSource source, Settings s, int nStat, int statLen, int nFit, int fitLen) {
        LlamaConfig c = source.config();
        SearchSpace space = new SearchSpace(c, s.levels(), s.granularity(), s.method());
        boolean inMemory = source instanceof WeightsBlockSource;
        boolean sgpt = s.method() == PruneMethod.SPARSEGPT;
        LevelDatabase.Storage storage = "F16".equals(source.weightType()) ? LevelDatabase.Storage.F16 : LevelDatabase.Storage.F32;
        Long max = s.resources().maxMemory();
        long block = 4L * (c.prunablePerBlock() + 2L * c.dim());
        long model = 4L * c.parameterCount();
        long largestLayer = 4L * Math.max(c.weightsOf(LayerKind.W1), c.weightsOf(LayerKind.WQ));
        int widest = Math.max(c.dim(), c.hiddenDim());
        KlFitness.Options fo = KlFitness.Options.defaults(s.fitness(), c).withTopK(s.topK());
        long targets = KlFitness.targetBytes(fo, c, nFit, fitLen);
        int maxTokens = s.search().maxStageTokens(nFit, fitLen);

        // Fixed items, then the largest statistics chunk and forward batch budget that fit the bound.
        long fixed = ResourcePlan.JVM_BASE_BYTES + (inMemory ? model : block) + targets;
        // SparseGPT: a layer copy and the double factorization of the widest input; magnitude cuts: scores + sorted copy of the largest matrix.
        long statExtra = sgpt ? largestLayer + 3L * 8 * widest * widest
                : s.method() == PruneMethod.MAGNITUDE && !s.levels().isNM() ? 4 * largestLayer : 0;
        int chunk = max == null ? STAT_CHUNK : ResourcePlan.largestFitting(STAT_CHUNK, max - fixed - statExtra,
                n -> DenseStatistics.bytes(c, nStat, statLen, n, sgpt));
        long batch = fo.batchBytes();
        if (max != null) {
            long avail = max - fixed - evalBytes(c, maxTokens, fo.vocabChunk(), 0, inMemory ? block : 0);
            int mb = ResourcePlan.largestFitting((int) (fo.batchBytes() >> 20), avail, n -> (long) n << 20);
            batch = (long) Math.max(8, mb) << 20;
        }
        fo = fo.withBatchBytes(batch);

        ResourcePlan p = ResourcePlan.of("search");
        if (inMemory) p.memory(null, "the whole model in memory (float32; the CLI streams it instead)", model);
        else p.memory(null, "one dense block read from the mapped file (float32)", block);
        p.memory(null, fo.kind() == KlFitness.Kind.PPL ? "fitness targets (none for ppl)"
                : fo.exact() ? "dense distributions, exact (positions x vocabulary floats)" : "dense top-" + fo.topK() + " targets", targets);
        p.memory("statistics", String.format(Locale.ROOT, "residual stream of %d x %d statistic windows + forward of %d + one block's statistics%s",
                nStat, statLen, chunk, sgpt ? " with Gram matrices" : ""), DenseStatistics.bytes(c, nStat, statLen, chunk, sgpt));
        if (statExtra > 0) p.memory("statistics", sgpt ? "SparseGPT level: a layer copy + factorization of the widest input" : "magnitude cuts: scores of the largest matrix", statExtra);
        p.memory("search", String.format(Locale.ROOT, "candidate forward: %,d tokens, batches of %s, classifier chunks of %,d rows",
                maxTokens, ResourcePlan.human(batch), fo.vocabChunk()), evalBytes(c, maxTokens, fo.vocabChunk(), batch, inMemory ? block : 0));

        long levelDisk = sgpt ? LevelDatabase.bytes(space, storage) : ScoredLevels.cutBytes(space, s.method());
        p.disk(sgpt ? String.format(Locale.ROOT, "SparseGPT level database: %d levels x %,d weights in %s", space.levels().count(),
                c.prunableTotal(), storage) : "level cuts (12 bytes per comparison group and level)", levelDisk);

        Speed sp = s.resources().speed();
        long statTokens = (long) nStat * statLen, fitTokens = (long) nFit * fitLen;
        double perToken = 2.0 * c.prunableTotal() + 2.0 * c.nLayers() * statLen * c.dim();
        double head = 2.0 * c.vocabSize() * c.dim();
        p.stage("statistics (dense pass)", statTokens * perToken / sp.flopsPerSecond()
                + (sgpt ? 2.0 * statTokens * c.nLayers() * (3.0 * c.dim() * c.dim() + (double) c.hiddenDim() * c.hiddenDim()) / sp.flopsPerSecond() : 0),
                String.format(Locale.ROOT, "%d x %d tokens", nStat, statLen));
        if (sgpt) {
            double perLevel = 0;
            for (LayerKind k : LayerKind.values()) perLevel += 2.0 * c.rowsOf(k) * (double) c.colsOf(k) * c.colsOf(k);
            double factor = 3 * Math.pow(c.dim(), 3) + Math.pow(c.hiddenDim(), 3);
            p.stage("SparseGPT level database", c.nLayers() * (perLevel * space.levels().count() + factor) / sp.flopsPerSecond(),
                    space.levels().count() + " levels, one factorization per input");
        } else if (!s.levels().isNM()) {
            p.stage("level cuts (one radix selection per comparison group)", c.prunableTotal() * 4.0 / sp.weightsPerSecond(), "prunable weights");
        }
        if (fo.kind() == KlFitness.Kind.KL) {
            p.stage("dense targets", fitTokens * (perToken + head) / sp.flopsPerSecond() + c.prunableTotal() / sp.weightsPerSecond(),
                    String.format(Locale.ROOT, "%d x %d tokens", nFit, fitLen));
        }
        int seeds = s.init() == Init.FISHER ? 2 + (s.fisher() == null ? 0 : s.fisherStrengths().length * (s.granularity() == Granularity.LAYER ? 2 : 1))
                : Math.max(s.search().parents(), 8);
        SearchConfig.Workload w = s.search().workload(seeds, fitTokens);
        p.stage("search", w.tokens() * (perToken + head) / sp.flopsPerSecond() + w.evaluations() * (c.prunableTotal() + (double) c.vocabSize() * c.dim()) / sp.weightsPerSecond(),
                String.format(Locale.ROOT, "%,d evaluations, %,d fitness tokens; %s", w.evaluations(), w.tokens(), sp.describe()));
        p.enforce(max, "lower --nsamples/--seqlen/--fitness-windows/--stage-tokens, use --kl-topk, or raise --max-memory");
        long heapLimit = Math.max(256L << 20, p.peakMemory() - ResourcePlan.JVM_BASE_BYTES + (256L << 20));
        return new Plan(p, chunk, fo, storage, heapLimit);
    }

    /** Memory of one candidate evaluation beyond the block: residual streams, batch temporaries, a classifier chunk and its logits, accumulators. */
    static long evalBytes(LlamaConfig c, int tokens, int vocabChunk, long batchBytes, long blockCopy) {
        return 2L * 4 * tokens * c.dim() + batchBytes + 4L * vocabChunk * c.dim() + 4L * Math.min(tokens, 1 << 14) * vocabChunk
                + 60L * tokens + blockCopy;
    }

    public static Outcome run(BlockSource source, List<int[]> statWindows, List<int[]> fitnessWindows, String dataId,
                              Settings s, Path checkpoint, boolean resume, SearchListener listener, Consumer<String> log) throws IOException {
        return run(source, statWindows, fitnessWindows, dataId, s, checkpoint, resume, listener, log, CandidateEvaluator.Factory.LOCAL);
    }

    /**
     * @param evaluators where the candidates are evaluated once the fitness is built (this process, or
     *                   a cluster); the plan, trace and checkpoint do not depend on it
     */
    public static Outcome run(BlockSource source, List<int[]> statWindows, List<int[]> fitnessWindows, String dataId,
                              Settings s, Path checkpoint, boolean resume, SearchListener listener, Consumer<String> log,
                              CandidateEvaluator.Factory evaluators) throws IOException {
        long t0 = System.nanoTime();
        LlamaConfig c = source.config();
        SearchSpace space = new SearchSpace(c, s.levels(), s.granularity(), s.method());
        double target = Budget.nmTargetMatchingUniform(space, s.target());
        if (target != s.target()) {
            log.accept(String.format(Locale.ROOT, "budget: target %.4f is the uniform %s plan, which achieves %.6f (short tail groups); mixed plans must reach that",
                    s.target(), space.levels().pattern(space.levels().nearestLevel(s.target())).text(), target));
        }
        Budget budget = Budget.of(space, target);
        log.accept("budget: " + budget + ", " + space.geneCount() + " genes x " + space.levels().count() + " levels (" + space.levels().name() + ")");

        Plan plan = plan(source, s, statWindows.size(), statWindows.get(0).length, fitnessWindows.size(), fitnessWindows.get(0).length);
        plan.resources().lines().forEach(log);
        dev.mixprune.resources.HeapBound.raise(dev.mixprune.resources.HeapBound.heapOf(plan.resources()));
        HeapGuard guard = new HeapGuard(plan.heapLimit());
        try (WorkDir work = WorkDir.create(s.resources().workDir(), plan.resources().diskBytes(), "the search's scratch files")) {
            LevelMasks masks = null;
            try {
                // One dense pass: OWL's outlier ratios (seeds) and what the candidates need, block by block.
                boolean sgpt = s.method() == PruneMethod.SPARSEGPT;
                double[] outliers = new double[c.nLayers()];
                float[][][] scalers = new float[c.nLayers()][InputGroup.values().length][];
                ScoredLevels.Builder scored = sgpt ? null : new ScoredLevels.Builder(space, s.method(), work.file("cuts.bin"));
                LevelDatabase.Builder db = sgpt ? new LevelDatabase.Builder(space, plan.storage(),
                        s.levelPruner() != null ? s.levelPruner() : LevelDatabase.sparseGpt(log), work.file("levels.bin")) : null;
                long tdb = System.nanoTime();
                try {
                    DenseStatistics.run(source, statWindows, sgpt, plan.statChunk(), guard, (b, dense, stats) -> {
                        scalers[b] = WandaScalers.ofBlock(stats);
                        outliers[b] = OwlAllocator.outlierRatio(dense, new WandaScalers(scalers), b, s.owlM());
                        if (scored != null) scored.accept(b, dense, stats);
                        else db.accept(b, dense, stats);
                    });
                } catch (RuntimeException | Error e) {
                    if (db != null) db.abandon();
                    throw e;
                }
                masks = scored != null ? scored.finish() : db.finish();
                log.accept(String.format(Locale.ROOT, "statistics%s: %d blocks in %.1f s (%s on disk)",
                        sgpt ? " and SparseGPT level database (" + space.levels().count() + " levels, " + plan.storage() + ")" : "",
                        c.nLayers(), (System.nanoTime() - tdb) / 1e9, ResourcePlan.human(masks.diskBytes())));

                long tf = System.nanoTime();
                KlFitness fitness = new KlFitness(source, masks, fitnessWindows, plan.fitness(),
                        dataId + ",method=" + s.method().name().toLowerCase(Locale.ROOT), guard);
                if (s.fitness() == KlFitness.Kind.KL) {
                    log.accept(String.format(Locale.ROOT, "dense targets: %d windows x %d in %.1f s (%s, %s)", fitnessWindows.size(),
                            fitnessWindows.get(0).length, (System.nanoTime() - tf) / 1e9,
                            plan.fitness().exact() ? "exact distributions" : "top-" + plan.fitness().topK() + " + rest", ResourcePlan.human(fitness.targets().bytes())));
                }

                List<int[]> seeds = new ArrayList<>();
                List<String> names = new ArrayList<>();
                long setupNanos;
                seeds(s, budget, space, target, outliers, seeds, names, log);
                EvolutionarySearch.Result r;
                try (CandidateEvaluator evaluator = evaluators.open(fitness, work.dir())) {
                    long setup = System.nanoTime() - t0;
                    r = new EvolutionarySearch(budget, fitness, s.search(), evaluator).run(seeds, checkpoint, resume, listener);
                    setupNanos = setup;
                }
                SparsityPlan result = space.toPlan(r.best(), "msp");
                return new Outcome(result, r.best(), budget, r.bestFitness(), r, fitness.timings(), setupNanos, names, plan);
            } finally {
                if (masks != null) masks.close();
            }
        }
    }

    private static void seeds(Settings s, Budget budget, SearchSpace space, double target, double[] outliers, List<int[]> seeds,
                              List<String> names, Consumer<String> log) {
        if (s.init() == Init.FISHER) {
            seeds.add(budget.roundToLevels(Budget.uniformDesired(space, target)));
            names.add("uniform");
            if (space.levels().isNM()) {
                int m = ((Pattern.NM) space.levels().pattern(0)).m();
                int kept = (int) Math.max(1, Math.min(m - 1, Math.round((1 - s.target()) * m)));
                seeds.add(OwlAllocator.genomeNM(budget, OwlAllocator.blockKeptNM(outliers, kept, m, s.owlNmLambda())));
            } else {
                seeds.add(OwlAllocator.genome(budget, OwlAllocator.blockSparsities(outliers, target, s.owlLambda())));
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
    }
}
