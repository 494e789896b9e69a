package dev.mixprune.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * llama.cpp as the independent reference: scripts/llamacpp/ppl.mjs (node-llama-cpp 3.21.1, CPU)
 * scores token windows with llama.cpp's own probabilities. The packages are installed by
 * scripts/test-deps.sh ({@code .ci/run} runs it); without them the test fails and says so.
 */
final class LlamaCpp {
    private LlamaCpp() {}

    static final Path DIR = Path.of("scripts/llamacpp");

    static void requireInstalled() {
        assertThat(DIR.resolve("node_modules/node-llama-cpp/package.json"))
                .as("node-llama-cpp is missing: run scripts/test-deps.sh (installs the pinned npm test references)").exists();
    }

    /** Writes windows as ppl.mjs reads them: {"seqlen": T, "windows": [[ids...], ...]}. */
    static Path writeWindows(Path file, int[][] windows) throws IOException {
        var om = new ObjectMapper();
        var root = om.createObjectNode();
        root.put("seqlen", windows[0].length);
        var ws = root.putArray("windows");
        for (int[] w : windows) {
            var a = ws.addArray();
            for (int t : w) a.add(t);
        }
        om.writeValue(file.toFile(), root);
        return file;
    }

    /** llama.cpp's perplexity of each model on its windows file (F32 KV cache), in one node process. */
    static List<Double> ppl(List<Path> models, List<Path> windows) throws Exception {
        requireInstalled();
        List<String> cmd = new ArrayList<>(List.of("node", DIR.resolve("ppl.mjs").toAbsolutePath().toString()));
        for (int i = 0; i < models.size(); i++) {
            cmd.add(models.get(i).toAbsolutePath().toString());
            cmd.add(windows.get(i).toAbsolutePath().toString());
        }
        cmd.addAll(List.of("--kv", "f32", "--threads", "1"));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("node ppl.mjs finished").isTrue();
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("node ppl.mjs: " + text).isZero();
        List<Double> ppl = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) continue;
            JsonNode j = new ObjectMapper().readTree(line);
            ppl.add(j.get("ppl").asDouble());
        }
        assertThat(ppl).as("one result per model: " + text).hasSize(models.size());
        return ppl;
    }
}
