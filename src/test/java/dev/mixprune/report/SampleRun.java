package dev.mixprune.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.allocate.FisherReport;
import dev.mixprune.eval.zeroshot.EvalReport;
import dev.mixprune.eval.zeroshot.TaskResult;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.SparsityPlan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** Writes a plausible run directory for the stories260K shape (sample JSON per docs/report.md). */
final class SampleRun {
    private SampleRun() {}

    static final LlamaConfig STORIES260K = new LlamaConfig(64, 172, 5, 8, 4, 512, 512, 1e-5f, 10000f, true);
    private static final ObjectMapper JSON = new ObjectMapper();

    static void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Random r = new Random(3);
        LlamaConfig c = STORIES260K;

        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("command", "mixprune run --model stories260K.bin --target 0.75 --method wanda");
        manifest.put("mixprune", "0.1.0");
        manifest.put("java", "25");
        manifest.put("seed", 42);
        manifest.putObject("data").put("calibration", "tinystories/calib.txt").put("evaluation", "tinystories/valid.txt");
        ArrayNode offsets = manifest.putArray("offsets");
        for (int i = 0; i < 128; i++) offsets.add(1000 + 517 * i);
        write(dir.resolve("manifest.json"), manifest);

        // Written by the sensitivity command's own writer, so the report reads the real format.
        Map<LayerId, Double> traces = new TreeMap<>();
        for (LayerId id : LayerId.all(c)) traces.put(id, Math.exp(-3 + 2.5 * r.nextGaussian() - 0.3 * id.block()));
        new FisherReport(SparsityPlan.ModelShape.of(c), 32, 512, 1.52, "", "sample", traces).save(dir.resolve("fisher.json"));

        SparsityPlan.uniform(c, new Pattern.Unstructured(0.75)).save(dir.resolve("plan-uniform.json"));
        Map<LayerId, Pattern> owl = new TreeMap<>(), msp = new TreeMap<>();
        for (LayerId id : LayerId.all(c)) {
            owl.put(id, new Pattern.Unstructured(0.70 + 0.025 * id.block()));
            msp.put(id, new Pattern.NM(1 + r.nextInt(3), 8));
        }
        new SparsityPlan("owl", SparsityPlan.ModelShape.of(c), owl).save(dir.resolve("plan-owl.json"));
        new SparsityPlan("msp", SparsityPlan.ModelShape.of(c), msp).save(dir.resolve("plan-msp.json"));

        ObjectNode trace = JSON.createObjectNode().put("metric", "kl");
        ArrayNode gens = trace.putArray("generations");
        double best = 2.0;
        for (int g = 0; g < 40; g++) {
            best *= 0.9 + 0.1 * r.nextDouble();
            gens.addObject().put("generation", g).put("best_fitness", best).put("mean_fitness", best * (1.3 + 0.2 * r.nextDouble()));
        }
        write(dir.resolve("search-trace.json"), trace);

        ObjectNode results = JSON.createObjectNode();
        ArrayNode rows = results.putArray("rows");
        rows.addObject().put("allocation", "dense").put("method", "none").put("target", 0.0).put("achieved_sparsity", 0.0).put("ppl", 4.63);
        for (String alloc : List.of("uniform", "owl", "msp")) {
            for (String method : List.of("magnitude", "wanda")) {
                for (double t : new double[]{0.5, 0.6, 0.7, 0.75, 0.8}) {
                    double ppl = 4.63 * Math.exp(8 * Math.pow(t, 3) * (alloc.equals("msp") ? 0.8 : alloc.equals("owl") ? 0.9 : 1.0) * (method.equals("wanda") ? 1 : 1.3));
                    rows.addObject().put("allocation", alloc).put("method", method).put("target", t).put("achieved_sparsity", t - 0.004).put("ppl", ppl);
                }
            }
        }
        write(dir.resolve("results.json"), results);

        EvalReport dense = new EvalReport("stories260K.bin", dev.mixprune.eval.zeroshot.EvalLimit.NONE, "harness-shuffle", List.of(
                row("boolq", 3270, 0.55, Double.NaN, 0.5), row("rte", 277, 0.51, Double.NaN, 0.5), row("hellaswag", 10042, 0.26, 0.27, 0.25),
                row("winogrande", 1267, 0.50, Double.NaN, 0.5), row("arc_easy", 2376, 0.30, 0.28, 0.2502), row("arc_challenge", 1172, 0.21, 0.23, 0.2505),
                row("openbookqa", 500, 0.13, 0.25, 0.25), row("piqa", 1838, 0.55, 0.53, 0.5)),
                List.of(new EvalReport.PplRow("tinystories/valid.txt", 4.63, 80, 40880, 512)));
        Files.writeString(dir.resolve("eval.json"), dense.toJsonString());
        EvalReport pruned = new EvalReport("msp.bin", dev.mixprune.eval.zeroshot.EvalLimit.ofCount(100), "harness-shuffle", List.of(
                row("boolq", 100, 0.48, Double.NaN, 0.5), row("hellaswag", 100, 0.24, 0.25, 0.25), row("piqa", 100, 0.51, 0.50, 0.5)), List.of());
        Files.writeString(dir.resolve("eval-msp.json"), pruned.toJsonString());
    }

    private static EvalReport.TaskRow row(String task, int n, double acc, double accNorm, double chance) {
        double se = Math.sqrt(acc * (1 - acc) / (n - 1));
        return new EvalReport.TaskRow(new TaskResult(task, n, acc, se, accNorm, Double.isNaN(accNorm) ? Double.NaN : se, chance), n, 1.5);
    }

    private static void write(Path file, ObjectNode node) throws IOException {
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
    }
}
