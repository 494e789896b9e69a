package dev.mixprune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * llama.cpp's perplexity of a GGUF on the windows {@code ppl --dump-windows} wrote: scripts/llamacpp/ppl.mjs
 * (node-llama-cpp, installed by scripts/test-deps.sh; one thread), for the tests that compare it with ours.
 */
final class LlamaCppPpl {
    private LlamaCppPpl() {}

    private static final Path NODE_MODULE = Path.of("scripts/llamacpp/node_modules/node-llama-cpp");

    /** Skips the test when node-llama-cpp is not installed, except on CI (where it must be). */
    static void assumeInstalled() {
        assumeTrue("true".equals(System.getenv("CI")) || Files.isDirectory(NODE_MODULE), NODE_MODULE + " is missing: run scripts/test-deps.sh");
    }

    /** ppl.mjs's result line ({"ppl", "tokens", "windows", ...}) for {@code gguf} on {@code windows}. */
    static JsonNode score(Path gguf, Path windows) throws Exception {
        Process p = new ProcessBuilder("node", "scripts/llamacpp/ppl.mjs", gguf.toString(), windows.toString(), "--threads", "1").start();
        byte[] stdout = p.getInputStream().readAllBytes();
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("node ppl.mjs finished").isTrue();
        assertThat(p.exitValue()).as(stderr).isZero();
        String[] lines = new String(stdout, StandardCharsets.UTF_8).strip().split("\n");
        return new ObjectMapper().readTree(lines[lines.length - 1]);
    }
}
