package dev.mixprune.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The recipe file: YAML and JSON read alike, strict keys and types, and the command-line arguments it stands for. */
class RecipeTest {

    @Test
    void yamlAndJsonReadAlikeAndBecomeArguments(@TempDir Path tmp) throws Exception {
        Path yaml = tmp.resolve("r.yaml");
        Files.writeString(yaml, """
                # a recipe
                model: models/m.gguf
                method: sparsegpt
                target: 0.8
                levels: nm:8
                allocations: [uniform, msp]
                search:
                  generations: 5
                  stage_tokens: [128, 512]
                evaluation:
                  tasks: arc_easy,hellaswag
                  task_limit: 0.1
                output:
                  models: false
                """);
        Path json = tmp.resolve("r.json");
        Files.writeString(json, """
                {"model": "models/m.gguf", "method": "sparsegpt", "target": 0.8, "levels": "nm:8", "allocations": ["uniform", "msp"],
                 "search": {"generations": 5, "stage_tokens": [128, 512]},
                 "evaluation": {"tasks": "arc_easy,hellaswag", "task_limit": 0.1}, "output": {"models": false}}
                """);
        ObjectNode a = Recipe.read(yaml), b = Recipe.read(json);
        List<String> args = Recipe.toArgs(a, Set.of());
        assertThat(Recipe.toArgs(b, Set.of())).isEqualTo(args);
        assertThat(args).containsExactly("--model", "models/m.gguf", "--method", "sparsegpt", "--sparsity", "0.8", "--levels", "nm:8",
                "--allocations", "uniform,msp", "--generations", "5", "--stage-tokens", "128,512", "--tasks", "arc_easy,hellaswag",
                "--task-limit", "0.1", "--no-models");
        // Options on the command line win: the recipe's are left out.
        assertThat(Recipe.toArgs(a, Set.of("--method", "--no-models"))).doesNotContain("--method", "sparsegpt", "--no-models");
    }

    @Test
    void typosAndWrongTypesAreErrorsThatNameTheKey(@TempDir Path tmp) throws Exception {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("{\"serch\": {\"generations\": 3}}", "unknown key 'serch'");
        bad.put("{\"search\": {\"generation\": 3}}", "unknown key 'search.generation'");
        bad.put("{\"method\": [\"wanda\"]}", "'method' must be a string or a number");
        bad.put("{\"output\": {\"models\": \"no\"}}", "'output.models' must be true or false");
        bad.put("{\"search\": 3}", "'search' must be an object");
        bad.put("{\"version\": 2}", "field 'version' must be 1");
        bad.put("[1, 2]", "a recipe must be an object");
        bad.put("{\"model\": ", "not valid");
        int i = 0;
        for (Map.Entry<String, String> e : bad.entrySet()) {
            Path f = tmp.resolve("bad" + (i++) + ".json");
            Files.writeString(f, e.getKey());
            assertThatThrownBy(() -> Recipe.read(f)).as(e.getKey()).isInstanceOf(BadInputException.class)
                    .hasMessageContaining(f.toString()).hasMessageContaining(e.getValue());
        }
    }

    @Test
    void aResolvedRecipeHasEveryKeyAndReadsBack(@TempDir Path tmp) throws Exception {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Recipe.Key k : Recipe.KEYS) values.put(k.path(), null);
        values.put("model", Path.of("/m/stories260K.bin"));
        values.put("target", 0.75);
        values.put("seed", 0L);
        values.put("allocations", List.of("uniform", "owl", "msp"));
        values.put("search.stage_tokens", List.of(256, 1024, 4096));
        values.put("evaluation.tasks", List.of());
        values.put("output.models", true);
        ObjectNode r = Recipe.of(values);
        Path f = tmp.resolve("recipe.json");
        Recipe.write(r, f);
        ObjectNode back = Recipe.read(f);
        assertThat(back.toString()).isEqualTo(r.toString());
        for (Recipe.Key k : Recipe.KEYS) assertThat(Recipe.at(back, k.path())).as(k.path()).isNotNull();
        assertThat(Recipe.toArgs(back, Set.of())).containsExactly("--model", "/m/stories260K.bin", "--sparsity", "0.75",
                "--allocations", "uniform,owl,msp", "--seed", "0", "--stage-tokens", "256,1024,4096", "--tasks", "none");
    }
}
