package dev.mixprune.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.allocate.FisherReport;
import dev.mixprune.BadInputException;
import dev.mixprune.allocate.MspSearch;
import dev.mixprune.allocate.StreamingFisher;
import dev.mixprune.allocate.Granularity;
import dev.mixprune.allocate.SearchConfig;
import dev.mixprune.cluster.Coordinator;
import dev.mixprune.data.CalibrationWindows;
import dev.mixprune.data.Corpus;
import dev.mixprune.data.TokenStream;
import dev.mixprune.eval.PerplexityResult;
import dev.mixprune.eval.zeroshot.DocSelection;
import dev.mixprune.eval.zeroshot.EvalLimit;
import dev.mixprune.eval.zeroshot.EvalReport;
import dev.mixprune.eval.zeroshot.ZeroShotSuite;
import dev.mixprune.eval.zeroshot.ZeroShotTask;
import dev.mixprune.io.AtomicFiles;
import dev.mixprune.io.BlockSink;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.TensorDType;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.prune.BlockwisePerplexity;
import dev.mixprune.prune.PruneResources;
import dev.mixprune.progress.Progress;
import dev.mixprune.progress.ProgressFactory;
import dev.mixprune.prune.PruneListener;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.prune.PruneResult;
import dev.mixprune.prune.SequentialPruner;
import dev.mixprune.prune.SparsityPlan;
import dev.mixprune.resources.ResourcePlan;
import dev.mixprune.resources.Speed;
import dev.mixprune.resources.WorkDir;

import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.recover.GlobalRecovery;
import dev.mixprune.recover.RecoverOptions;
import dev.mixprune.recover.Recovery;
import dev.mixprune.recover.TrainingWindows;
import dev.mixprune.tensor.ThreadTeam;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The main job: sensitivities, allocations (uniform, OWL, Fisher, MSP search), pruning with one
 * method under each plan, perplexity of each, and everything written into one run directory in
 * the files the report reads (docs/report.md): manifest.json, fisher.json, plan-*.json,
 * search-trace.json, results.json, model-*.{bin,gguf}.
 */
public final class MspRun {
    private MspRun() {}

    /**
     * Everything the run needs, with the CLI's defaults filled in by the caller.
     *
     * @param seqLen      calibration/statistics/fitness window length (null: the model's context)
     * @param evalWindows evaluation windows scored (0: all of the evaluation text, protocol P)
     * @param maxMemory   bound on the planned peak (null: none); chunk and batch sizes are chosen under it
     * @param workDir     parent of scratch files (null: the run directory)
     */
    public record Settings(PruneMethod method, double target, String pattern, double step, Granularity granularity,
                           List<String> allocations, Path calib, Path eval, int nsamples, int fisherSamples, Path fisherFile, long seed,
                           SearchConfig search, int fitnessWindows, Path outDir, boolean writeModels, List<String> command,
                           List<ZeroShotTask> tasks, EvalLimit taskLimit, Path tasksDir, Integer seqLen, int evalWindows, Long maxMemory,
                           Path workDir, int recoverSteps) {
        /** Without recovery (the signature before `run --recover`). */
        public Settings(PruneMethod method, double target, String pattern, double step, Granularity granularity,
                        List<String> allocations, Path calib, Path eval, int nsamples, int fisherSamples, Path fisherFile, long seed,
                        SearchConfig search, int fitnessWindows, Path outDir, boolean writeModels, List<String> command,
                        List<ZeroShotTask> tasks, EvalLimit taskLimit, Path tasksDir, Integer seqLen, int evalWindows, Long maxMemory,
                        Path workDir) {
            this(method, target, pattern, step, granularity, allocations, calib, eval, nsamples, fisherSamples, fisherFile, seed, search,
                    fitnessWindows, outDir, writeModels, command, tasks, taskLimit, tasksDir, seqLen, evalWindows, maxMemory, workDir, 0);
        }
    }

    /** One allocation's outcome. */
    public record Row(String allocation, String method, double target, double achievedSparsity, double ppl, double meanNll,
                      int windows, long tokens, double seconds, Path plan, Path model) {}

    public record Outcome(PerplexityResult dense, List<Row> rows, Path outDir) {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Streams everything from {@code source} (a memory-mapped model): Fisher traces, statistics and the
     * search read it block by block; each allocation is pruned block by block into its model file (or,
     * with no models written, straight into the perplexity of the pruned blocks); perplexities are
     * blockwise. Only zero-shot tasks (--tasks) load a model whole, one at a time.
     */
    public static Outcome run(BlockSource source, Settings s, ProgressFactory progress, PrintStream log) throws IOException {
        return run(source, s, progress, log, null);
    }

    /** As {@link #run(BlockSource, Settings, ProgressFactory, PrintStream)}, with a cluster's workers computing the Fisher windows and the MSP search's candidates (null: this process does). */
    public static Outcome run(BlockSource source, Settings s, ProgressFactory progress, PrintStream log, Coordinator cluster) throws IOException {
        long t0 = System.nanoTime();
        LlamaConfig c = source.config();
        var tok = source.requireTokenizer();
        int seqLen = s.seqLen() != null ? s.seqLen() : c.seqLen();
        if (seqLen < 2 || seqLen > c.seqLen()) throw new BadInputException("--seqlen: expected 2.." + c.seqLen() + " (the model's context), got " + seqLen);
        Files.createDirectories(s.outDir());
        Path work = s.workDir() != null ? s.workDir() : s.outDir();

        // Data: calibration windows (pruning, statistics, Fisher) and the evaluation stream.
        TokenStream calib = TokenStream.of(Corpus.read(s.calib()), tok);
        CalibrationWindows windows = CalibrationWindows.sample(calib, s.nsamples(), seqLen, s.seed());
        TokenStream evalStream = TokenStream.of(Corpus.read(s.eval()), tok);
        int[] evalTokens = evalStream.toArray();
        if (s.evalWindows() > 0) evalTokens = Arrays.copyOf(evalTokens, Math.min(evalTokens.length, s.evalWindows() * c.seqLen()));
        log.printf(Locale.ROOT, "data: calibration %s (%,d tokens, %d windows of %d, seed %d); evaluation %s (%,d tokens, %d scored)%n",
                s.calib(), calib.length(), windows.nsamples(), seqLen, s.seed(), s.eval(), evalStream.length(), evalTokens.length);
        List<int[]> statWindows = Arrays.asList(windows.windows());

        // The plan of the whole run, printed (and checked against --max-memory) before any work.
        int chunk = pruneChunk(c, s, windows.nsamples(), seqLen, evalTokens.length);
        ResourcePlan plan = resourcePlan(source, s, windows.nsamples(), seqLen, chunk, evalTokens.length);
        plan.lines().forEach(log::println);
        plan.enforce(s.maxMemory(), "lower --nsamples, --seqlen or --eval-windows, or raise --max-memory");
        dev.mixprune.resources.HeapBound.set(dev.mixprune.resources.HeapBound.heapOf(plan));
        WorkDir.requireSpace(s.outDir(), plan.diskBytes(), "the run's models");

        // 1. Sensitivities.
        FisherReport fisher;
        if (s.fisherFile() != null) {
            fisher = FisherReport.load(s.fisherFile(), c);
            log.printf(Locale.ROOT, "fisher: traces from %s (%s)%n", s.fisherFile(), fisher.source());
        } else {
            StreamingFisher.Options fo = StreamingFisher.Options.defaults(work);
            StreamingFisher.Plan fp = StreamingFisher.plan(c, Math.min(s.fisherSamples(), windows.nsamples()), seqLen, fo);
            try (Progress p = progress.start("fisher", fp.blockPasses(c.nLayers()), "block passes")) {
                fisher = cluster == null ? StreamingFisher.compute(source, windows, s.fisherSamples(), fo, (done, total) -> p.step(1))
                        : StreamingFisher.compute(source, windows, s.fisherSamples(), fo, StreamingFisher.Progress.NONE,
                        new dev.mixprune.cluster.ClusterFisher(cluster, source.path()));
            }
        }
        fisher.save(s.outDir().resolve("fisher.json"));
        Map<LayerId, Double> traces = new LinkedHashMap<>();
        for (LayerId id : LayerId.all(c)) traces.put(id, fisher.trace(id));

        // 2. Dense baseline.
        PerplexityResult densePpl;
        try (Progress p = progress.start("ppl dense", 1, "model")) {
            densePpl = BlockwisePerplexity.compute(source, evalTokens, c.seqLen());
            p.step(1);
        }
        log.printf(Locale.ROOT, "dense: ppl %.4f on %s%n", densePpl.ppl(), s.eval().getFileName());
        zeroShot("dense", source.path(), source.path().toString(), tok, s, progress);

        TensorDType outType = source.format() == ModelFormat.BIN ? TensorDType.F32 : source.naturalOutputType();
        List<Row> rows = new ArrayList<>();
        for (String allocation : s.allocations()) {
            long ta = System.nanoTime();
            Plans.Request req = new Plans.Request(allocation, s.method(), s.target(), s.pattern(), s.step(), s.granularity(),
                    s.search(), s.fitnessWindows(), s.seed());
            SparsityPlan sp = allocation.equals("msp")
                    ? Plans.msp(req, source, statWindows, traces, calib.toArray(), s.calib().getFileName() + ":" + s.seed(), s.outDir(),
                            new MspSearch.Resources(work, s.maxMemory(), Speed.assumed()), log, progress, cluster, source.path())
                    : Plans.build(req, source, statWindows, traces, calib.toArray(), s.calib().getFileName() + ":" + s.seed(), s.outDir(), log, progress);
            Path planFile = s.outDir().resolve("plan-" + allocation + ".json");
            sp.save(planFile);

            // Prune block by block: into the model file, or (no file) straight into the perplexity run. Zero-shot tasks need
            // a file to load the model from: without --models it goes to a scratch directory deleted afterwards.
            boolean toFile = s.writeModels() || !s.tasks().isEmpty() || s.recoverSteps() > 0;
            String ext = source.format() == ModelFormat.GGUF ? ".gguf" : source.format() == ModelFormat.SAFETENSORS ? "" : ".bin";
            PruneResult result;
            PerplexityResult ppl;
            Path modelFile = null;
            try (WorkDir scratch = toFile && !s.writeModels()
                    ? WorkDir.create(work, (long) (outType == TensorDType.F16 ? 2 : 4) * c.parameterCount(), "a pruned model for the zero-shot tasks")
                    : null) {
                if (toFile) modelFile = (scratch != null ? scratch.dir() : s.outDir()).resolve("model-" + allocation + ext);
                BlockwisePerplexity.Run inStream = toFile ? null : BlockwisePerplexity.start(source, evalTokens, c.seqLen());
                try (Progress p = progress.start("prune " + allocation + " (" + s.method().cliName() + ")", c.nLayers(), "blocks");
                     BlockSink sink = toFile ? BlockSink.open(source, modelFile, source.format(), outType) : evaluating(inStream)) {
                    PruneListener listener = new PruneListener() {
                        @Override public void blockFinished(PruneResult.BlockReport report, int nBlocks) {
                            p.step(1);
                            System.gc(); // the block's garbage (statistics, masks, forward temporaries): see PruneCommand.collectingGarbage
                        }
                        @Override public void warning(String message) { log.println("prune: warning: " + message); }
                    };
                    SequentialPruner.Options opt = SequentialPruner.Options.of(s.method()).withChunkSequences(chunk);
                    result = new SequentialPruner(opt, listener).run(source, sink, sp, statWindows);
                    sink.finish();
                }
                if (toFile) {
                    // The perplexity of the model as written (its float type), read back block by block.
                    try (BlockSource written = MappedBlockSource.openWeights(modelFile)) {
                        ppl = BlockwisePerplexity.compute(written, evalTokens, c.seqLen());
                    }
                } else {
                    try {
                        ppl = inStream.finish(source.finalNorm(), source.classifier());
                    } catch (dev.mixprune.NonFiniteException e) {
                        throw e.in("the " + allocation + " model (pruned from " + source.path() + ")");
                    }
                }
                // Named relative to the run directory (which is written under a temporary name and moved into place).
                zeroShot(allocation, modelFile, scratch == null && modelFile != null ? modelFile.getFileName().toString()
                        : allocation + " (pruned into a scratch file, not kept)", tok, s, progress);
                Row recoveredRow = s.recoverSteps() > 0
                        ? recovered(source, s, allocation, modelFile, scratch, ext, outType, result, planFile, calib, seqLen, evalTokens, work, progress, log)
                        : null;
                if (scratch != null) modelFile = null; // deleted with the scratch directory
                Row row = new Row(allocation, s.method().cliName(), s.target(), result.overallSparsity(), ppl.ppl(), ppl.meanNll(),
                        ppl.windows(), ppl.tokensScored(), (System.nanoTime() - ta) / 1e9, planFile, modelFile);
                rows.add(row);
                log.printf(Locale.ROOT, "%s: achieved sparsity %.4f, ppl %.4f (%.1f s)%n", allocation, row.achievedSparsity(), row.ppl(), row.seconds());
                if (recoveredRow != null) rows.add(recoveredRow);
            }
            writeResults(s, densePpl, rows);
        }
        writeManifest(source, s, windows, calib, evalStream, densePpl, rows, (System.nanoTime() - t0) / 1e9);
        return new Outcome(densePpl, rows, s.outDir());
    }

    /**
     * The row "ALLOCATION+R": the pruned model (read from its file) after {@code recoverSteps} steps of
     * global recovery from the dense model (docs/recover.md; default settings otherwise). The student
     * is held in memory (global recovery trains the whole model); the teacher is streamed from the source.
     */
    private static Row recovered(BlockSource dense, Settings s, String allocation, Path prunedFile, WorkDir scratch, String ext, TensorDType outType,
                                 PruneResult result, Path planFile, TokenStream calib, int seqLen, int[] evalTokens, Path work, ProgressFactory progress,
                                 PrintStream log) throws IOException {
        long t0 = System.nanoTime();
        String name = allocation + "+R";
        LlamaConfig c = dense.config();
        LlamaWeights student = dev.mixprune.io.ModelLoader.loadWeights(prunedFile);
        RecoverOptions o = RecoverOptions.globalDefaults(s.recoverSteps(), Math.min(256, seqLen), s.seed());
        GlobalRecovery g = new GlobalRecovery(student, dense, o, work, ThreadTeam.shared());
        try (Progress p = progress.start("recover " + allocation, o.steps(), "steps")) {
            g.run(new TrainingWindows.Global(calib, o), GlobalRecovery.Checkpointing.NONE, (step, total, loss, lr) -> {
                p.message(String.format(Locale.ROOT, "KL %.4f", loss));
                p.step(1);
            });
        }
        Recovery.requireSameZeros(g.trainables(), "after recovery");
        PerplexityResult ppl = BlockwisePerplexity.compute(new WeightsBlockSource(student), evalTokens, c.seqLen());
        Path modelFile = null;
        if (s.writeModels() || !s.tasks().isEmpty()) {
            modelFile = (scratch != null ? scratch.dir() : s.outDir()).resolve("model-" + allocation + "-recovered" + ext);
            ModelWriter.write(student, dense.tokenizerOrNull(), dense.metadata(), modelFile, dense.format(), outType);
            zeroShot(name, modelFile, scratch == null ? modelFile.getFileName().toString() : name + " (in a scratch file, not kept)",
                    dense.requireTokenizer(), s, progress);
            if (scratch != null) modelFile = null;
        }
        double[] losses = g.losses();
        Row row = new Row(name, s.method().cliName(), s.target(), result.overallSparsity(), ppl.ppl(), ppl.meanNll(), ppl.windows(), ppl.tokensScored(),
                (System.nanoTime() - t0) / 1e9, planFile, modelFile);
        log.printf(Locale.ROOT, "%s: %d recovery steps (KL %.4f -> %.4f), ppl %.4f (%.1f s)%n", name, o.steps(), losses[0], losses[losses.length - 1],
                row.ppl(), row.seconds());
        return row;
    }

    /** A sink that feeds each pruned block to a perplexity run (nothing written). */
    private static BlockSink evaluating(BlockwisePerplexity.Run run) {
        return new BlockSink() {
            @Override public void accept(int b, dev.mixprune.model.BlockWeights w) { run.advance(b, w); }
            @Override public void finish() { }
            @Override public void close() { }
        };
    }

    /** Calibration sequences per block-forward call: 16, fewer when --max-memory needs it. */
    private static int pruneChunk(LlamaConfig c, Settings s, int nSeq, int seqLen, int evalTokens) {
        if (s.maxMemory() == null) return 16;
        return ResourcePlan.largestFitting(16, s.maxMemory(), n -> {
            ResourcePlan p = ResourcePlan.of("run");
            PruneResources.add(p, "pruning", c, s.method(), false, nSeq, seqLen, n);
            return p.peakMemory();
        });
    }

    /**
     * The run's plan: Fisher traces (unless given), the search's own plan (its peak is a phase), pruning and the
     * perplexities; disk: the models written (one per allocation) and the search's scratch files.
     */
    private static ResourcePlan resourcePlan(BlockSource source, Settings s, int nSeq, int seqLen, int chunk, int evalTokens) {
        LlamaConfig c = source.config();
        ResourcePlan p = ResourcePlan.of("run");
        PruneResources.add(p, "pruning", c, s.method(), false, nSeq, seqLen, chunk);
        PruneResources.addPerplexity(p, "perplexity", c, evalTokens, c.seqLen(), 1 + s.allocations().size());
        if (s.allocations().contains("msp")) {
            MspSearch.Settings ms = new MspSearch.Settings(s.method(), s.target(), dev.mixprune.allocate.Levels.parse(s.pattern(), s.step()),
                    s.granularity(), MspSearch.Init.FISHER, null, dev.mixprune.allocate.InitialPopulation.DEFAULT_STRENGTHS,
                    dev.mixprune.allocate.KlFitness.Kind.KL, s.search(), 0.08, 5, 2)
                    .withResources(new MspSearch.Resources(s.workDir() != null ? s.workDir() : s.outDir(), null, Speed.assumed()));
            ResourcePlan sp = MspSearch.plan(source, ms, Math.min(64, nSeq), seqLen, s.fitnessWindows(), seqLen).resources();
            long searchPeak = sp.livePeak() - ResourcePlan.JVM_BASE_BYTES - 4L * (c.prunablePerBlock() + 2L * c.dim());
            p.memory("search", "the MSP search (its own plan is printed when it starts)", searchPeak);
            p.disk("the search's scratch files", sp.diskBytes());
            p.stage("msp search", sp.seconds(), "its own plan is printed when it starts");
        }
        if (s.recoverSteps() > 0) addRecovery(p, c, s, seqLen, evalTokens);
        TensorDType outType = source.format() == ModelFormat.BIN ? TensorDType.F32 : source.naturalOutputType();
        if (s.writeModels()) {
            p.disk(s.allocations().size() + " pruned models (" + outType + ")", (long) s.allocations().size() * (outType == TensorDType.F16 ? 2 : 4) * c.parameterCount());
        } else if (!s.tasks().isEmpty()) {
            p.disk("one pruned model at a time for the zero-shot tasks", (long) (outType == TensorDType.F16 ? 2 : 4) * c.parameterCount());
        }
        if (s.fisherFile() == null) p.note("Fisher traces: streamed float32 backward (sensitivity's own plan)");
        if (!s.tasks().isEmpty()) p.note("zero-shot tasks load each model whole, in float32, one at a time: " + ResourcePlan.human(4L * c.parameterCount()));
        return p;
    }

    /**
     * {@code --recover}: one allocation at a time, the student whole in memory with its training state, then its
     * perplexity (a phase of its own: it overlaps neither pruning nor the search); {@link GlobalRecovery#memoryBound}
     * is an upper bound (Adam moments for every linear entry). Time: forward and backward of the student (3x a
     * forward) and the teacher's forward, both with their classifiers, per token of every step.
     */
    private static void addRecovery(ResourcePlan p, LlamaConfig c, Settings s, int seqLen, int evalTokens) {
        RecoverOptions o = RecoverOptions.globalDefaults(s.recoverSteps(), Math.min(256, seqLen), s.seed());
        p.memory("recovery", "global recovery (student, masks, Adam moments, one step's activations; upper bound)", GlobalRecovery.memoryBound(c, o));
        PruneResources.addPerplexity(p, "recovery", c, evalTokens, c.seqLen(), s.allocations().size());
        long checkpoints = GlobalRecovery.checkpointFileBytes(c, o);
        if (checkpoints > 0) p.disk("recovery's activation checkpoints (temporary)", checkpoints);
        double flops = 2.0 * 4 * (c.prunableTotal() + 2.0 * c.vocabSize() * c.dim()) * o.batch() * o.seqLen() * o.steps() * s.allocations().size();
        p.stage("recovery", flops / Speed.assumed().flopsPerSecond(),
                s.allocations().size() + " model(s) x " + o.steps() + " steps x " + o.batch() + " x " + o.seqLen() + " tokens");
    }

    /** Zero-shot tasks on one model read from its file, written as eval-NAME.json for the report (nothing when no tasks were asked for). */
    private static void zeroShot(String name, Path modelFile, String model, dev.mixprune.tokenizer.Tokenizer tok, Settings s, ProgressFactory progress)
            throws IOException {
        if (s.tasks().isEmpty()) return;
        LlamaWeights w = dev.mixprune.io.ModelLoader.load(modelFile, null).weights();
        double date = System.currentTimeMillis() / 1000.0;
        long t0 = System.nanoTime();
        List<EvalReport.TaskRow> rows = ZeroShotSuite.run(tok, ZeroShotSuite.defaultBackend(w), s.tasks(), s.tasksDir(), s.taskLimit(),
                DocSelection.HARNESS_SHUFFLE, progress);
        EvalReport report = new EvalReport(model, "pretrained=" + model + ",allocation=" + name + ",scoring=cached", s.taskLimit(),
                "harness-shuffle", rows, List.of(), date, (System.nanoTime() - t0) / 1e9);
        AtomicFiles.write(s.outDir().resolve("eval-" + name + ".json"), report.toJsonString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static void writeResults(Settings s, PerplexityResult dense, List<Row> rows) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", "mixprune.results");
        root.put("version", 1);
        root.put("dataset", s.eval().getFileName().toString());
        ArrayNode arr = root.putArray("rows");
        ObjectNode d = arr.addObject();
        d.put("allocation", "dense").put("method", "none").put("target", 0.0).put("achieved_sparsity", 0.0)
                .put("ppl", dense.ppl()).put("mean_nll", dense.meanNll()).put("windows", dense.windows()).put("tokens", dense.tokensScored());
        for (Row r : rows) {
            ObjectNode n = arr.addObject();
            n.put("allocation", r.allocation()).put("method", r.method()).put("target", r.target())
                    .put("achieved_sparsity", r.achievedSparsity()).put("ppl", finite(r.ppl())).put("mean_nll", finite(r.meanNll()))
                    .put("windows", r.windows()).put("tokens", r.tokens()).put("seconds", r.seconds())
                    .put("plan", r.plan().getFileName().toString());
            if (r.model() != null) n.put("model", r.model().getFileName().toString());
        }
        AtomicFiles.write(s.outDir().resolve("results.json"), JSON.writeValueAsBytes(root));
    }

    private static Double finite(double v) { return Double.isFinite(v) ? v : null; }

    private static void writeManifest(BlockSource lm, Settings s, CalibrationWindows windows, TokenStream calib, TokenStream eval,
                                      PerplexityResult dense, List<Row> rows, double seconds) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", "mixprune.run-manifest");
        root.put("version", 1);
        ArrayNode cmd = root.putArray("command");
        s.command().forEach(cmd::add);
        String v = MspRun.class.getPackage().getImplementationVersion();
        root.put("mixprune", v == null ? "dev" : v);
        root.put("java", Runtime.version().toString());
        root.put("model", lm.path().toString());
        root.put("method", s.method().cliName());
        root.put("target", s.target());
        root.put("pattern", s.pattern());
        root.put("granularity", s.granularity().name().toLowerCase(Locale.ROOT));
        root.put("seed", s.seed());
        if (s.allocations().contains("msp")) {
            SearchConfig c = s.search();
            ObjectNode search = root.putObject("search");
            search.put("fitness", "kl").put("init", "fisher").put("granularity", s.granularity().name().toLowerCase(Locale.ROOT))
                    .put("generations", c.generations()).put("offspring", c.offspring()).put("parents", c.parents());
            ArrayNode tokens = search.putArray("stage_tokens");
            for (int t : c.stageTokens()) tokens.add(t);
            ArrayNode survivors = search.putArray("stage_survivors");
            for (int n : c.stageSurvivors()) survivors.add(n);
            search.put("crossover", c.crossoverRate()).put("tournament", c.tournament()).put("max_flips", c.maxFlips()).put("seed", c.seed())
                    .put("fitness_windows", s.fitnessWindows());
        }
        ObjectNode cal = root.putObject("calibration");
        cal.put("file", s.calib().toString()).put("tokens", calib.length()).put("tokens_sha256", calib.sha256())
                .put("nsamples", windows.nsamples()).put("seqlen", windows.seqlen()).put("seed", windows.seed());
        ArrayNode off = cal.putArray("offsets");
        for (int o : windows.offsets()) off.add(o);
        root.putObject("evaluation").put("file", s.eval().toString()).put("tokens", eval.length()).put("tokens_sha256", eval.sha256())
                .put("dense_ppl", dense.ppl());
        root.put("seconds", seconds);
        ArrayNode r = root.putArray("allocations");
        for (Row row : rows) r.add(row.allocation() + ": sparsity " + String.format(Locale.ROOT, "%.4f", row.achievedSparsity())
                + ", ppl " + String.format(Locale.ROOT, "%.3f", row.ppl()));
        AtomicFiles.write(s.outDir().resolve("manifest.json"), JSON.writeValueAsBytes(root));
    }
}
