package dev.mixprune.quant;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Where the test-time llama.cpp (node-llama-cpp 3.21.1 from npm, installed by
 * scripts/test-deps.sh; never part of the product) lives. Tests that need it are skipped on a
 * developer machine without it, and fail under CI (CI=true), where .ci/run installs it.
 */
final class NodeLlamaCpp {
    private NodeLlamaCpp() {}

    static final Path MODULES = Path.of("scripts/llamacpp/node_modules");
    static final Path GGML_BASE = MODULES.resolve("@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so");

    /** Skips (or, under CI, fails) unless {@code p} exists. */
    static Path require(Path p) {
        boolean ci = "true".equals(System.getenv("CI"));
        assumeTrue(ci || Files.exists(p), p + " is missing: run scripts/test-deps.sh (test-time npm references)");
        assertThat(p).as("installed by scripts/test-deps.sh").exists();
        return p.toAbsolutePath();
    }
}
