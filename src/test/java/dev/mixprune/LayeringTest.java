package dev.mixprune;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The package order of src/main, bottom to top: a package may mention (import, or name fully
 * qualified, in code or comments) only packages below it. A new package must be placed in
 * {@link #LAYERS} (that is the point: decide where it sits).
 */
class LayeringTest {
    /** Bottom first ("" is dev.mixprune itself: BadInputException, SharedFiles). */
    static final List<String> LAYERS = List.of(
            "", "json", "progress", "resources",        // resources: memory/disk/time plans, scratch files
            "tokenizer",                                // text <-> ids (protocols T, T2): needs only the root and json
            "tensor",
            "quant",                                    // ggml Q8_0/Q4_0 blocks, dense Q8_0 weights and kernels
            "sparse",                                   // N:M storage and kernels: below the model
            "model", "model.backward", "model.family",  // config, weights, forward/backward; families name things
            "io",                                       // every format (packed GGUF included), tokenizer files
            "grad",                                     // float32 backward: blocks, loss head, streamed over a BlockSource
            "data", "eval", "eval.zeroshot", "prune", "allocate",
            "cluster",                                  // Hazelcast members: worker, coordinator; work of allocate spread over them
            "recover",                                  // recovery after pruning: mask-fixed distillation (global, blockwise)
            "report", "run",
            "cli", "bench");

    private static final Pattern MENTION = Pattern.compile("dev\\.mixprune\\.((?:[a-z_0-9]+\\.)*)[A-Z]");

    @Test
    void noPackageMentionsAPackageAboveIt() throws IOException {
        Path root = Path.of("src/main/java/dev/mixprune");
        assertThat(root).isDirectory();
        List<String> violations = new ArrayList<>();
        Map<String, Integer> files = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".java")).toList()) {
                String pkg = root.relativize(p.getParent()).toString().replace('/', '.');
                files.merge(pkg, 1, Integer::sum);
                violations.addAll(violations(pkg, p.getFileName().toString(), Files.readString(p)));
            }
        }
        assertThat(files.keySet()).as("packages of src/main (each must be placed in LAYERS)").isSubsetOf(LAYERS);
        assertThat(violations).as("mentions of a package above").isEmpty();
    }

    @Test
    void theCheckSeesImportsAndFullyQualifiedNames() {
        assertThat(violations("tensor", "X.java", "import dev.mixprune.model.LlamaConfig;")).hasSize(1);
        assertThat(violations("model", "X.java", "/** see {@link dev.mixprune.io.GgufFile} */")).hasSize(1);
        assertThat(violations("model", "X.java", "x = dev.mixprune.sparse.PackedNM.pack(w, 2, 4);")).isEmpty();
        assertThat(violations("io", "X.java", "import dev.mixprune.model.family.ModelFamily;")).isEmpty();
        assertThat(violations("model.family", "X.java", "import dev.mixprune.io.GgufValue;")).hasSize(1);
        assertThat(violations("nowhere", "X.java", "class X {}")).hasSize(1);
    }

    /** One message per mention of a package at or above {@code pkg}'s layer (other than itself). */
    static List<String> violations(String pkg, String file, String text) {
        List<String> out = new ArrayList<>();
        int level = LAYERS.indexOf(pkg);
        if (level < 0) {
            out.add(pkg + "/" + file + ": package '" + pkg + "' is not in LayeringTest.LAYERS");
            return out;
        }
        Matcher m = MENTION.matcher(text);
        while (m.find()) {
            String dep = m.group(1).isEmpty() ? "" : m.group(1).substring(0, m.group(1).length() - 1);
            if (dep.equals(pkg)) continue;
            int depLevel = LAYERS.indexOf(dep);
            if (depLevel < 0 || depLevel >= level) out.add(pkg + "/" + file + " mentions dev.mixprune." + dep + " (above or beside " + (pkg.isEmpty() ? "the root" : pkg) + ")");
        }
        return out;
    }
}
