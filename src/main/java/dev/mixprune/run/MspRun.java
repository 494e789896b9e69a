package dev.mixprune.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.allocate.FisherReport;
import dev.mixprune.allocate.StreamingFisher;
import dev.mixprune.allocate.Granularity;
import dev.mixprune.allocate.SearchConfig;
import dev.mixprune.data.CalibrationWindows;
import dev.mixprune.data.Corpus;
import dev.mixprune.data.TokenStream;
import dev.mixprune.eval.Perplexity;
import dev.mixprune.eval.PerplexityResult;
import dev.mixprune.eval.zeroshot.DocSelection;
import dev.mixprune.eval.zeroshot.EvalLimit;
import dev.mixprune.eval.zeroshot.EvalReport;
import dev.mixprune.eval.zeroshot.ZeroShotSuite;
import dev.mixprune.eval.zeroshot.ZeroShotTask;
import dev.mixprune.io.AtomicFiles;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.TensorDType;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.progress.Progress;
import dev.mixprune.progress.ProgressFactory;
import dev.mixprune.prune.PruneListener;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.prune.PruneResult;
import dev.mixprune.prune.SequentialPruner;
import dev.mixprune.prune.SparsityPlan;

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

    /** Everything the run needs, with the CLI's defaults filled in by the caller. */
    public record Settings(PruneMethod method, double target, String pattern, double step, Granularity granularity,
                           List<String> allocations, Path calib, Path eval, int nsamples, int fisherSamples, Path fisherFile, long seed,
                           SearchConfig search, int fitnessWindows, Path outDir, boolean writeModels, List<String> command,
                           List<ZeroShotTask> tasks, EvalLimit taskLimit, Path tasksDir) {}

    /** One allocation's outcome. */
    public record Row(String allocation, String method, double target, double achievedSparsity, double ppl, double meanNll,
                      int windows, long tokens, double seconds, Path plan, Path model) {}

    public record Outcome(PerplexityResult dense, List<Row> rows, Path outDir) {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static Outcome run(LoadedModel lm, Settings s, ProgressFactory progress, PrintStream log) throws IOException {
        long t0 = System.nanoTime();
        LlamaWeights dense = lm.weights();
        BlockSource source = new WeightsBlockSource(lm);  // the stages that stream (Fisher, OWL, the search) read it block by block
        var tok = lm.requireTokenizer();
        int seqLen = dense.config().seqLen();
        Files.createDirectories(s.outDir());

        // Data: calibration windows (pruning, statistics, Fisher) and the evaluation stream.
        TokenStream calib = TokenStream.of(Corpus.read(s.calib()), tok);
        CalibrationWindows windows = CalibrationWindows.sample(calib, s.nsamples(), seqLen, s.seed());
        TokenStream evalStream = TokenStream.of(Corpus.read(s.eval()), tok);
        log.printf(Locale.ROOT, "data: calibration %s (%,d tokens, %d windows of %d, seed %d); evaluation %s (%,d tokens)%n",
                s.calib(), calib.length(), windows.nsamples(), seqLen, s.seed(), s.eval(), evalStream.length());

        // 1. Sensitivities.
        FisherReport fisher;
        if (s.fisherFile() != null) {
            fisher = FisherReport.load(s.fisherFile(), dense.config());
            log.printf(Locale.ROOT, "fisher: traces from %s (%s)%n", s.fisherFile(), fisher.source());
        } else {
            StreamingFisher.Options fo = StreamingFisher.Options.defaults(s.outDir());
            StreamingFisher.Plan fp = StreamingFisher.plan(dense.config(), Math.min(s.fisherSamples(), windows.nsamples()), seqLen, fo);
            try (Progress p = progress.start("fisher", fp.blockPasses(dense.config().nLayers()), "block passes")) {
                fisher = StreamingFisher.compute(source, windows, s.fisherSamples(), fo, (done, total) -> p.step(1));
            }
        }
        fisher.save(s.outDir().resolve("fisher.json"));
        Map<LayerId, Double> traces = new LinkedHashMap<>();
        for (LayerId id : LayerId.all(dense.config())) traces.put(id, fisher.trace(id));

        // 2. Dense baseline.
        PerplexityResult densePpl = perplexity("dense", dense, evalStream, seqLen, progress);
        log.printf(Locale.ROOT, "dense: ppl %.4f on %s%n", densePpl.ppl(), s.eval().getFileName());
        zeroShot("dense", lm.path().toString(), dense, tok, s, progress);

        List<int[]> statWindows = Arrays.asList(windows.windows());
        List<Row> rows = new ArrayList<>();
        for (String allocation : s.allocations()) {
            long ta = System.nanoTime();
            Plans.Request req = new Plans.Request(allocation, s.method(), s.target(), s.pattern(), s.step(), s.granularity(),
                    s.search(), s.fitnessWindows(), s.seed());
            SparsityPlan plan = Plans.build(req, source, statWindows, traces, calib.toArray(), s.calib().getFileName() + ":" + s.seed(),
                    s.outDir(), log, progress);
            Path planFile = s.outDir().resolve("plan-" + allocation + ".json");
            plan.save(planFile);

            LlamaWeights pruned = dense.copy();
            PruneResult result;
            try (Progress p = progress.start("prune " + allocation + " (" + s.method().cliName() + ")", dense.config().nLayers(), "blocks")) {
                PruneListener listener = new PruneListener() {
                    @Override public void blockFinished(PruneResult.BlockReport report, int nBlocks) { p.step(1); }
                    @Override public void warning(String message) { log.println("prune: warning: " + message); }
                };
                result = new SequentialPruner(SequentialPruner.Options.of(s.method()), listener).run(pruned, plan, statWindows);
            }
            PerplexityResult ppl = perplexity(allocation, pruned, evalStream, seqLen, progress);
            Path modelFile = null;
            if (s.writeModels()) {
                String ext = lm.format() == ModelFormat.GGUF ? ".gguf" : lm.format() == ModelFormat.SAFETENSORS ? "" : ".bin";
                modelFile = s.outDir().resolve("model-" + allocation + ext);
                ModelWriter.write(pruned, lm, modelFile, lm.format(), TensorDType.F32);
            }
            // Named relative to the run directory (which is written under a temporary name and moved into place).
            zeroShot(allocation, modelFile != null ? modelFile.getFileName().toString() : allocation + " (pruned in memory, not written)", pruned, tok, s, progress);
            Row row = new Row(allocation, s.method().cliName(), s.target(), result.overallSparsity(), ppl.ppl(), ppl.meanNll(),
                    ppl.windows(), ppl.tokensScored(), (System.nanoTime() - ta) / 1e9, planFile, modelFile);
            rows.add(row);
            log.printf(Locale.ROOT, "%s: achieved sparsity %.4f, ppl %.4f (%.1f s)%n", allocation, row.achievedSparsity(), row.ppl(), row.seconds());
            writeResults(s, densePpl, rows);
        }
        writeManifest(lm, s, windows, calib, evalStream, densePpl, rows, (System.nanoTime() - t0) / 1e9);
        return new Outcome(densePpl, rows, s.outDir());
    }

    private static PerplexityResult perplexity(String name, LlamaWeights w, TokenStream text, int seqLen, ProgressFactory progress) {
        try (Progress p = progress.start("ppl " + name, text.length() / seqLen, "windows")) {
            return Perplexity.compute(w, text.toArray(), seqLen, p::step);
        }
    }

    /** Zero-shot tasks on one model, written as eval-NAME.json for the report (nothing when no tasks were asked for). */
    private static void zeroShot(String name, String model, LlamaWeights w, dev.mixprune.tokenizer.Tokenizer tok, Settings s, ProgressFactory progress)
            throws IOException {
        if (s.tasks().isEmpty()) return;
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

    private static void writeManifest(LoadedModel lm, Settings s, CalibrationWindows windows, TokenStream calib, TokenStream eval,
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
