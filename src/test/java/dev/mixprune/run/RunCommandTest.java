package dev.mixprune.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.cli.Main;
import dev.mixprune.prune.SparsityPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The main job end to end on stories260K with a tiny search budget. */
class RunCommandTest {

    @Test
    void smallRunWritesEveryFileAndMeetsTheBudget(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        int code = Main.execute("run", "--quiet", "--out", out.toString(), "--allocations", "uniform,fisher,msp", "--nsamples", "8",
                "--fisher-samples", "2", "--generations", "1", "--population", "4", "--fitness-windows", "4", "--no-models",
                "--tasks", "rte", "--task-limit", "10", "--eval-windows", "40");
        assertThat(code).isZero();
        for (String f : new String[]{"manifest.json", "fisher.json", "plan-uniform.json", "plan-fisher.json", "plan-msp.json",
                "search-trace.json", "results.json", "report.html", "eval-dense.json", "eval-msp.json"}) {
            assertThat(out.resolve(f)).as(f).exists();
        }
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertThat(results.get("rows")).hasSize(4);
        JsonNode dense = results.get("rows").get(0);
        assertThat(dense.get("allocation").asText()).isEqualTo("dense");
        // The run streams everything; the same numbers as the in-memory computation: dense, and uniform pruned in place
        // (to float rounding: in one JVM the forward's Vector-API reductions differ between JIT tiers, docs/msp.md).
        var lm = dev.mixprune.io.ModelLoader.load(dev.mixprune.SharedFiles.stories260KBin(), null);
        var tok = lm.requireTokenizer();
        int[] eval = java.util.Arrays.copyOf(dev.mixprune.data.TokenStream.of(dev.mixprune.data.Corpus.read(dev.mixprune.SharedFiles.tinyStoriesValid()), tok).toArray(), 40 * 512);
        double densePpl = dev.mixprune.eval.Perplexity.compute(lm.weights(), eval, 512).ppl();
        assertThat(dense.get("ppl").asDouble()).isCloseTo(densePpl, org.assertj.core.data.Offset.offset(1e-6 * densePpl));
        var calib = dev.mixprune.data.TokenStream.of(dev.mixprune.data.Corpus.read(dev.mixprune.SharedFiles.tinyStoriesCalib()), tok);
        var windows = dev.mixprune.data.CalibrationWindows.sample(calib, 8, 512, 0);
        var pruned = lm.weights().copy();
        new dev.mixprune.prune.SequentialPruner(dev.mixprune.prune.SequentialPruner.Options.of(dev.mixprune.prune.PruneMethod.WANDA), null)
                .run(pruned, SparsityPlan.load(out.resolve("plan-uniform.json")), java.util.Arrays.asList(windows.windows()));
        double uniformPpl = dev.mixprune.eval.Perplexity.compute(pruned, eval, 512).ppl();
        assertThat(results.get("rows").get(1).get("ppl").asDouble()).isCloseTo(uniformPpl, org.assertj.core.data.Offset.offset(1e-6 * uniformPpl));
        try (var files = Files.list(out)) {
            assertThat(files.map(f -> f.getFileName().toString())).as("no models, no scratch left").noneMatch(n -> n.startsWith("model-") || n.startsWith(".mixprune-work"));
        }
        for (int i = 1; i < 4; i++) {
            JsonNode r = results.get("rows").get(i);
            // Never below the target (protocols.md S; budget in docs/msp.md).
            assertThat(r.get("achieved_sparsity").asDouble()).as(r.get("allocation").asText()).isGreaterThanOrEqualTo(0.75);
            assertThat(r.get("ppl").asDouble()).isGreaterThan(dense.get("ppl").asDouble());
        }
        SparsityPlan msp = SparsityPlan.load(out.resolve("plan-msp.json"));
        assertThat(msp.allocation()).isEqualTo("msp");
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("chart-fisher", "chart-plan-uniform", "chart-plan-msp", "chart-search", "chart-zeroshot", "id=\"headline-sentence\"")
                .doesNotContain("NaN").doesNotContain("chart-perplexity");
    }

    /** Issue 17 item 3: run --recover adds a recovered row per allocation, with the same sparsity and a lower perplexity. */
    @Test
    void recoverAddsARecoveredRowPerAllocation(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code;
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try {   // not --quiet: the run's resource plan goes to stderr
            code = Main.execute("run", "--out", out.toString(), "--allocations", "uniform", "--nsamples", "8",
                    "--fisher-samples", "2", "--recover", "8");
        } finally {
            System.setErr(oldErr);
        }
        assertThat(code).isZero();
        // the plan counts the recovery (its own phase, an upper bound: dev.mixprune.recover.RecoveryMemoryTest)
        assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8))
                .contains("global recovery (student, masks, Adam moments", "recovery (1 model(s) x 8 steps x 8 x");
        JsonNode rows = new ObjectMapper().readTree(out.resolve("results.json").toFile()).get("rows");
        assertThat(rows).hasSize(3);
        JsonNode pruned = rows.get(1), recovered = rows.get(2);
        assertThat(recovered.get("allocation").asText()).isEqualTo("uniform+R");
        assertThat(recovered.get("achieved_sparsity").asDouble()).isEqualTo(pruned.get("achieved_sparsity").asDouble());
        assertThat(recovered.get("ppl").asDouble()).isLessThan(pruned.get("ppl").asDouble());
        assertThat(out.resolve("model-uniform-recovered.bin")).exists();
        assertThat(Files.readString(out.resolve("report.html"))).contains("uniform+R").doesNotContain("NaN");
    }

    @Test
    void unknownAllocationIsAUsageErrorAndWritesNothing(@TempDir Path tmp) {
        Path out = tmp.resolve("run");
        assertThat(Main.execute("run", "--quiet", "--out", out.toString(), "--allocations", "uniform,magic")).isEqualTo(Main.EXIT_USAGE);
        assertThat(out).doesNotExist();
    }
}
