package dev.mixprune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.BadInputException;
import dev.mixprune.SharedFiles;
import dev.mixprune.run.Recipe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code run --config}: recipe.json holds every setting, a replay repeats the run, and the command line wins over the file. */
class RunRecipeTest {

    @Test
    void everyOptionOfRunIsARecipeKeyOrAnInvocationOption() {
        Set<String> keyed = Recipe.KEYS.stream().map(Recipe.Key::option).collect(Collectors.toSet());
        List<String> missing = new ArrayList<>();
        for (OptionSpec o : new CommandLine(new RunCommand()).getCommandSpec().options()) {
            if (o.usageHelp() || o.versionHelp()) continue;
            boolean covered = false;
            for (String n : o.names()) covered |= keyed.contains(n) || RunRecipe.INVOCATION_OPTIONS.contains(n);
            if (!covered) missing.add(o.longestName());
        }
        // A new run option changes a plan or a number (add a key to Recipe.KEYS and docs/recipes.md)
        // or only how the run is computed or shown (add it to RunRecipe.INVOCATION_OPTIONS).
        assertThat(missing).as("run options in neither Recipe.KEYS nor RunRecipe.INVOCATION_OPTIONS").isEmpty();
    }

    @Test
    void aReplayedRecipeGivesByteIdenticalPlansAndTheSameNumbers(@TempDir Path tmp) throws Exception {
        Path text = tmp.resolve("eval.txt");
        Files.writeString(text, Files.readString(SharedFiles.require(SharedFiles.tinyStoriesValid())).substring(0, 8000));
        Path yaml = tmp.resolve("small.yaml");
        Files.writeString(yaml, """
                # small and fast: stories260K, Wanda, 75%% unstructured
                method: wanda
                target: 0.75
                allocations: [uniform, owl, msp]
                calibration: {nsamples: 4}
                fisher: {samples: 2}
                search: {generations: 2, population: 4, fitness_windows: 2, stage_tokens: [64, 256]}
                evaluation: {file: "%s"}
                output: {models: false}
                """.formatted(text.toString().replace("\\", "/")));
        Path x = tmp.resolve("runs/x"), y = tmp.resolve("runs/y");
        assertThat(Main.execute("run", "--config", yaml.toString(), "--out", x.toString(), "-q")).isZero();

        JsonNode recipe = new ObjectMapper().readTree(x.resolve("recipe.json").toFile());
        for (Recipe.Key k : Recipe.KEYS) {
            JsonNode v = recipe.at("/" + k.path().replace('.', '/'));
            assertThat(v.isMissingNode()).as(k.path()).isFalse();
        }
        // defaults resolved, not left out
        assertThat(recipe.at("/model").asText()).isEqualTo(SharedFiles.stories260KBin().toAbsolutePath().normalize().toString());
        assertThat(recipe.at("/calibration/file").asText()).endsWith("calib.txt");
        assertThat(recipe.at("/search/parents").asInt()).isEqualTo(2);
        assertThat(recipe.at("/search/stage_survivors").toString()).isEqualTo("[6]");
        assertThat(recipe.at("/step").asDouble()).isEqualTo(0.025);
        assertThat(recipe.at("/output/models").asBoolean()).isFalse();

        assertThat(Main.execute("run", "--config", x.resolve("recipe.json").toString(), "--out", y.toString(), "-q")).isZero();
        assertThat(Files.readString(y.resolve("recipe.json"))).isEqualTo(Files.readString(x.resolve("recipe.json")));
        for (String plan : List.of("plan-uniform.json", "plan-owl.json", "plan-msp.json")) {
            assertThat(Files.readAllBytes(y.resolve(plan))).as(plan).isEqualTo(Files.readAllBytes(x.resolve(plan)));
        }
        JsonNode rx = new ObjectMapper().readTree(x.resolve("results.json").toFile());
        JsonNode ry = new ObjectMapper().readTree(y.resolve("results.json").toFile());
        assertThat(ry.get("rows")).hasSize(4);
        for (int i = 0; i < 4; i++) {
            for (String f : List.of("allocation", "achieved_sparsity", "ppl", "mean_nll")) {
                assertThat(ry.get("rows").get(i).get(f)).as(i + " " + f).isEqualTo(rx.get("rows").get(i).get(f));
            }
        }
        JsonNode manifest = new ObjectMapper().readTree(y.resolve("manifest.json").toFile());
        assertThat(manifest.get("command").toString()).contains("--config").doesNotContain("--generations");
    }

    @Test
    void optionsOnTheCommandLineOverrideTheFile(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("r.json");
        Files.writeString(json, """
                {"method": "sparsegpt", "target": 0.6, "levels": "nm:8", "search": {"generations": 5, "population": 9}}
                """);
        RunCommand typed = new RunCommand();
        CommandLine cl = new CommandLine(typed);
        cl.parseArgs("--config", json.toString(), "--generations", "7", "--levels", "nm:4", "-q");
        RunCommand r = RunRecipe.resolve(json, typed.spec);
        assertThat(r.generations).isEqualTo(7);
        assertThat(r.pattern).isEqualTo("nm:4");
        assertThat(r.population).isEqualTo(9);
        assertThat(r.method).isEqualTo("sparsegpt");
        assertThat(r.sparsity).isEqualTo(0.6);
        assertThat(r.compute.quiet()).isTrue();
        assertThat(r.config).isNull();
        assertThat(r.fitnessWindows).isEqualTo(32);  // neither: the default
        assertThat(r.invokedAs).containsExactly("mixprune", "--config", json.toString(), "--generations", "7", "--levels", "nm:4", "-q");
    }

    @Test
    void aRecipeValueTheParserRefusesNamesTheFileAndWritesNothing(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("r.json");
        Files.writeString(json, "{\"search\": {\"generations\": \"many\"}}");
        RunCommand typed = new RunCommand();
        new CommandLine(typed).parseArgs("--config", json.toString());
        assertThatThrownBy(() -> RunRecipe.resolve(json, typed.spec)).isInstanceOf(BadInputException.class)
                .hasMessageContaining(json.toString()).hasMessageContaining("--generations").hasMessageContaining("many");
        Path out = tmp.resolve("run");
        assertThat(Main.execute("run", "--config", json.toString(), "--out", out.toString(), "-q")).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(out).doesNotExist();
        assertThat(Main.execute("run", "--config", tmp.resolve("missing.yaml").toString(), "--out", out.toString(), "-q"))
                .isEqualTo(Main.EXIT_BAD_INPUT);
    }
}
