package dev.mixprune.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.allocate.FisherReport;
import dev.mixprune.allocate.SearchTrace;
import dev.mixprune.allocate.TraceEntry;
import dev.mixprune.eval.zeroshot.EvalLimit;
import dev.mixprune.eval.zeroshot.EvalReport;
import dev.mixprune.eval.zeroshot.Metrics;
import dev.mixprune.eval.zeroshot.TaskResult;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.SparsityPlan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Writes plausible run directories for the stories260K shape, each file with the writer the real
 * commands use where there is one (FisherReport, SparsityPlan, SearchTrace, EvalReport), so the
 * report is tested on the real formats.
 */
final class SampleRun {
    private SampleRun() {}

    static final LlamaConfig STORIES260K = new LlamaConfig(64, 172, 5, 8, 4, 512, 512, 1e-5f, 10000f, true);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Perplexities of the default run (Wanda, 75%) that the headline sentence is computed from. */
    static final double DENSE = 4.63, UNIFORM = 253.30, OWL = 267.61, MSP = 185.50;

    /** A run directory as {@code mixprune run --tasks ...} writes it: Wanda at 75%, with zero-shot files. */
    static void write(Path dir) throws IOException {
        writeRun(dir, "wanda", 0.75, "unstructured", new double[]{UNIFORM, OWL, MSP}, new double[]{0.7500, 0.7501, 0.7510}, 3);
        Random r = new Random(7);
        for (String name : List.of("dense", "uniform", "msp")) {
            double shift = name.equals("dense") ? 0.05 : name.equals("msp") ? 0.02 : 0;
            List<EvalReport.TaskRow> rows = new ArrayList<>();
            rows.add(task("boolq", 100, 0.55 + shift, Double.NaN, 0.5, 3270));
            rows.add(task("hellaswag", 100, 0.26 + shift, 0.27 + shift, 0.25, 10042));
            rows.add(task("arc_easy", 100, 0.30 + shift + 0.01 * r.nextInt(3), 0.28, 0.2502, 2376));
            rows.add(task("piqa", 100, 0.55 + shift, 0.53, 0.5, 1838));
            EvalReport e = new EvalReport("model-" + name + ".bin", "pretrained=model-" + name + ".bin,scoring=cached", EvalLimit.ofCount(100),
                    "harness-shuffle", rows, List.of(), 1.7e9, 12.5);
            Files.writeString(dir.resolve("eval-" + name + ".json"), e.toJsonString());
        }
    }

    private static EvalReport.TaskRow task(String task, int n, double acc, double accNorm, double chance, int original) {
        int k = (int) Math.round(acc * n), kn = (int) Math.round(accNorm * n);
        return new EvalReport.TaskRow(new TaskResult(task, n, (double) k / n, Metrics.stderr(k, n), Double.isNaN(accNorm) ? Double.NaN : (double) kn / n,
                Double.isNaN(accNorm) ? Double.NaN : Metrics.stderr(kn, n), chance), original, 1.5);
    }

    /**
     * One run: manifest, Fisher traces, the three plans, a 30-generation search trace, results.
     *
     * @param ppl      uniform, owl, msp perplexities
     * @param achieved their achieved sparsities
     */
    static void writeRun(Path dir, String method, double target, String pattern, double[] ppl, double[] achieved, long seed) throws IOException {
        Files.createDirectories(dir);
        Random r = new Random(seed);
        LlamaConfig c = STORIES260K;
        writeManifest(dir, method, target, pattern);

        Map<LayerId, Double> traces = new TreeMap<>(), se = new TreeMap<>();
        for (LayerId id : LayerId.all(c)) {
            double t = Math.exp(-1.5 + 0.8 * r.nextGaussian() - 0.3 * id.block());
            traces.put(id, t);
            se.put(id, t * (0.1 + 0.3 * r.nextDouble()));
        }
        new FisherReport(SparsityPlan.ModelShape.of(c), 32, 512, 1.94, "", "sample", traces, se).save(dir.resolve("fisher.json"));

        boolean nm = !pattern.equals("unstructured");
        SparsityPlan.uniform(c, nm ? new Pattern.NM(2, 8) : new Pattern.Unstructured(target)).save(dir.resolve("plan-uniform.json"));
        Map<LayerId, Pattern> owl = new TreeMap<>(), msp = new TreeMap<>();
        for (LayerId id : LayerId.all(c)) {
            owl.put(id, nm ? new Pattern.NM(id.block() < 2 ? 3 : 2, 8) : new Pattern.Unstructured(target - 0.05 + 0.025 * id.block()));
            msp.put(id, nm ? new Pattern.NM(1 + r.nextInt(3), 8) : new Pattern.Unstructured(Math.round((target - 0.1 + 0.05 * r.nextInt(5)) * 40) / 40.0));
        }
        new SparsityPlan("owl", SparsityPlan.ModelShape.of(c), owl).save(dir.resolve("plan-owl.json"));
        new SparsityPlan("msp", SparsityPlan.ModelShape.of(c), msp).save(dir.resolve("plan-msp.json"));

        List<TraceEntry> trace = new ArrayList<>();
        double best = 4.2;
        for (int g = 0; g <= 30; g++) {
            best = best * (0.97 + 0.035 * r.nextDouble());
            trace.add(new TraceEntry(g, best, best * (1.01 + 0.02 * r.nextDouble()), 22 + 34L * g));
        }
        SearchTrace.save(trace, dir.resolve("search-trace.json"));

        ObjectNode results = JSON.createObjectNode().put("format", "mixprune.results").put("version", 1).put("dataset", "valid.txt");
        ArrayNode rows = results.putArray("rows");
        rows.addObject().put("allocation", "dense").put("method", "none").put("target", 0.0).put("achieved_sparsity", 0.0).put("ppl", DENSE);
        String[] names = {"uniform", "owl", "msp"};
        for (int i = 0; i < 3; i++) {
            rows.addObject().put("allocation", names[i]).put("method", method).put("target", target).put("achieved_sparsity", achieved[i]).put("ppl", ppl[i]);
        }
        write(dir.resolve("results.json"), results);
    }

    private static void writeManifest(Path dir, String method, double target, String pattern) throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.put("format", "mixprune.run-manifest").put("version", 1);
        ArrayNode cmd = m.putArray("command");
        for (String a : List.of("mixprune", "run", "--method", method, "--sparsity", Double.toString(target), "--out", "runs/my run")) cmd.add(a);
        m.put("mixprune", "0.1.0").put("java", "25.0.3+9-LTS").put("model", "../shared/models/stories260K/stories260K.bin");
        m.put("method", method).put("target", target).put("pattern", pattern).put("granularity", "layer").put("seed", 0);
        ObjectNode s = m.putObject("search");
        s.put("fitness", "kl").put("init", "fisher").put("granularity", "layer").put("generations", 30).put("offspring", 24).put("parents", 2);
        s.putArray("stage_tokens").add(256).add(1024).add(4096);
        s.putArray("stage_survivors").add(6).add(2);
        s.put("crossover", 0.5).put("tournament", 2).put("max_flips", 3).put("seed", 0).put("fitness_windows", 32);
        ObjectNode cal = m.putObject("calibration");
        cal.put("file", "../shared/data/tinystories/calib.txt").put("tokens", 107296).put("tokens_sha256", "c26e54bf892bf5ec")
                .put("nsamples", 128).put("seqlen", 512).put("seed", 0);
        ArrayNode offsets = cal.putArray("offsets");
        for (int i = 0; i < 128; i++) offsets.add(1000 + 517 * i);
        m.putObject("evaluation").put("file", "../shared/data/tinystories/valid.txt").put("tokens", 192754).put("tokens_sha256", "a92e82f2")
                .put("dense_ppl", DENSE);
        m.put("seconds", 332.431646939);
        write(dir.resolve("manifest.json"), m);
    }

    /** Results over several targets and two methods (as a campaign's merged results.json), for the perplexity-against-sparsity section. */
    static void writeMultiTargetResults(Path dir) throws IOException {
        ObjectNode results = JSON.createObjectNode();
        ArrayNode rows = results.putArray("rows");
        rows.addObject().put("allocation", "dense").put("method", "none").put("target", 0.0).put("achieved_sparsity", 0.0).put("ppl", DENSE);
        for (String alloc : List.of("uniform", "owl", "msp")) {
            for (String method : List.of("magnitude", "wanda")) {
                for (double t : new double[]{0.5, 0.6, 0.7, 0.75, 0.8}) {
                    double ppl = DENSE * Math.exp(8 * Math.pow(t, 3) * (alloc.equals("msp") ? 0.8 : alloc.equals("owl") ? 0.9 : 1.0) * (method.equals("wanda") ? 1 : 1.3));
                    rows.addObject().put("allocation", alloc).put("method", method).put("target", t).put("achieved_sparsity", t + 0.0004).put("ppl", ppl);
                }
            }
        }
        Files.createDirectories(dir);
        write(dir.resolve("results.json"), results);
    }

    private static void write(Path file, ObjectNode node) throws IOException {
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
    }
}
