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
                "--tasks", "rte", "--task-limit", "10");
        assertThat(code).isZero();
        for (String f : new String[]{"manifest.json", "fisher.json", "plan-uniform.json", "plan-fisher.json", "plan-msp.json",
                "search-trace.json", "results.json", "report.html", "eval-dense.json", "eval-msp.json"}) {
            assertThat(out.resolve(f)).as(f).exists();
        }
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertThat(results.get("rows")).hasSize(4);
        JsonNode dense = results.get("rows").get(0);
        assertThat(dense.get("allocation").asText()).isEqualTo("dense");
        assertThat(dense.get("ppl").asDouble()).isCloseTo(4.633633, org.assertj.core.data.Offset.offset(1e-4));
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

    @Test
    void unknownAllocationIsAUsageErrorAndWritesNothing(@TempDir Path tmp) {
        Path out = tmp.resolve("run");
        assertThat(Main.execute("run", "--quiet", "--out", out.toString(), "--allocations", "uniform,magic")).isEqualTo(Main.EXIT_USAGE);
        assertThat(out).doesNotExist();
    }
}
