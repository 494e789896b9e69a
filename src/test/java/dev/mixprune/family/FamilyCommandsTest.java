package dev.mixprune.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.cli.Main;
import dev.mixprune.model.LayerId;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 10, acceptance 3: Fisher traces ({@code sensitivity}) and the main job ({@code run}: Fisher,
 * uniform and MSP plans, pruning, perplexity, report) end to end on a tiny model of every family,
 * read from its HF directory (small settings: this checks that everything runs and is consistent,
 * not the numbers).
 */
class FamilyCommandsTest {
    /** The families' features on the small vocabulary: these tests are about the pipelines, not the vocabulary. */
    static List<FamilyModels.Recipe> recipes() { return FamilyModels.allSmallVocabulary(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void sensitivityAndRunWorkOnEveryFamily(FamilyModels.Recipe recipe, @TempDir Path tmp) throws Exception {
        Path hf = FamilyModels.writeHf(recipe, 23, tmp.resolve("hf"));
        Path text = tmp.resolve("eval.txt");
        Files.writeString(text, Files.readString(SharedFiles.require(SharedFiles.tinyStoriesValid())).substring(0, 6000));
        Path fisher = tmp.resolve("fisher.json");
        assertThat(Main.execute("sensitivity", "--quiet", "--model", hf.toString(), "--calib", text.toString(), "--fisher-samples", "2", "--seqlen", "32",
                "--out", fisher.toString())).isZero();
        JsonNode f = new ObjectMapper().readTree(fisher.toFile());
        int layers = LayerId.all(recipe.config()).size();
        assertThat(f.get("layers").size()).isEqualTo(layers);
        f.get("layers").forEach(l -> assertThat(l.get("trace").asDouble()).isPositive());

        Path run = tmp.resolve("run");
        int code = Main.execute("run", "--quiet", "--model", hf.toString(), "--out", run.toString(), "--allocations", "uniform,msp",
                "--sparsity", "0.5", "--calib", text.toString(), "--eval", text.toString(), "--nsamples", "4", "--fisher", fisher.toString(),
                "--generations", "1", "--population", "4", "--fitness-windows", "2");
        assertThat(code).isZero();
        JsonNode results = new ObjectMapper().readTree(run.resolve("results.json").toFile());
        assertThat(results.get("rows")).hasSize(3);
        for (int i = 1; i < 3; i++) assertThat(results.get("rows").get(i).get("achieved_sparsity").asDouble()).isGreaterThanOrEqualTo(0.5);
        assertThat(run.resolve("report.html")).exists();
        // the pruned models are written as the input's family
        try (var s = Files.list(run)) {
            Path model = s.filter(p -> p.getFileName().toString().startsWith("model-")).findFirst().orElseThrow();
            if (Files.isDirectory(model)) {
                JsonNode cfg = new ObjectMapper().readTree(model.resolve("config.json").toFile());
                assertThat(cfg.get("model_type").asText()).isEqualTo(recipe.configJson().get("model_type"));
            }
        }
    }
}
