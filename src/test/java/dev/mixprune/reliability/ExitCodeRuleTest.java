package dev.mixprune.reliability;

import dev.mixprune.SharedFiles;
import dev.mixprune.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exit-code rule, the same for every command (issue 13 F7, F8; README "Exit codes"): usage and
 * option values 2, bad input files 3, I/O and others 1; --help everywhere with exit 0 and no
 * picocli warnings.
 */
class ExitCodeRuleTest {
    static Cli.Run cli(String... args) { return Cli.run(args); }

    static String model() { return SharedFiles.require(SharedFiles.stories260KBin()).toString(); }

    @Test
    void helpWorksOnEveryCommandWithoutWarnings() {
        List<String> names = new ArrayList<>(Main.commandLine(new Main()).getSubcommands().keySet());
        assertThat(names).contains("run", "inspect", "generate", "ppl", "sensitivity", "search", "prune", "eval", "report", "pack");
        Cli.Run top = cli("--help");
        assertThat(top.exit()).isZero();
        assertThat(top.err()).doesNotContain("WARN");
        for (String name : names) {
            for (String flag : List.of("--help", "-h")) {
                Cli.Run r = cli(name, flag);
                assertThat(r.exit()).as("%s %s: %s", name, flag, r.err()).isZero();
                assertThat(r.out()).as(name).contains("Usage: mixprune " + name);
                assertThat(r.err()).as(name).doesNotContain("WARN").doesNotContain("Missing required");
            }
            assertThat(cli("help", name).exit()).as("help " + name).isZero();
        }
    }

    @Test
    void optionValuesAreUsageErrorsInEveryCommand(@TempDir Path dir) {
        String out = dir.resolve("o").toString();
        List<List<String>> cases = List.of(
                List.of("generate", "--model", model(), "-n", "-5"),
                List.of("generate", "--model", model(), "--temperature", "-1"),
                List.of("generate", "--model", model(), "--top-p", "1.5"),
                List.of("ppl", "--model", model(), "--text", model(), "--seqlen", "1"),
                List.of("ppl", "--model", model(), "--text", model(), "--seqlen", "100000"),
                List.of("eval", "--model", model(), "--tasks", "nosuchtask"),
                List.of("eval", "--model", model(), "--limit", "-1"),
                List.of("sensitivity", "--model", model(), "--fisher-samples", "0", "--out", out),
                List.of("sensitivity", "--model", model(), "--threads", "0", "--out", out),
                List.of("search", "--model", model(), "--sparsity", "0.75", "--levels", "2:4", "--out", out),
                List.of("search", "--model", model(), "--sparsity", "1.5", "--out", out),
                List.of("search", "--model", model(), "--sparsity", "0.75", "--method", "obs", "--out", out),
                List.of("search", "--model", model(), "--sparsity", "0.75", "--generations", "-1", "--out", out),
                List.of("prune", "--model", model(), "--method", "wanda", "--sparsity", "1.0", "--out", out),
                List.of("prune", "--model", model(), "--method", "wanda", "--pattern", "2:4:8", "--out", out),
                List.of("prune", "--model", model(), "--method", "obs", "--pattern", "2:4", "--out", out),
                List.of("prune", "--model", model(), "--method", "wanda", "--pattern", "2:4", "--format", "onnx", "--out", out),
                List.of("pack", "--model", model(), "--m", "1", "--out", out),
                List.of("pack", "--model", model(), "--values", "int3", "--out", out),
                List.of("run", "--model", model(), "--method", "obs", "--out", out),
                List.of("run", "--model", model(), "--pattern", "2:4", "--out", out),
                List.of("run", "--model", model(), "--generations", "-3", "--out", out),
                List.of("prune", "--model", model(), "--no-such-option"));
        for (List<String> c : cases) {
            Cli.Run r = cli(c.toArray(String[]::new));
            assertThat(r.exit()).as("%s -> %s", c, r.err()).isEqualTo(Main.EXIT_USAGE);
            assertThat(r.err()).as(c.toString()).doesNotContain("Exception").doesNotContain("java.");
        }
        assertThat(dir.resolve("o")).doesNotExist();
    }

    @Test
    void aMissingInputFileIsBadInputInEveryCommand(@TempDir Path dir) {
        String missing = dir.resolve("missing.bin").toString(), out = dir.resolve("o").toString();
        List<List<String>> cases = List.of(
                List.of("inspect", "--model", missing),
                List.of("generate", "--model", missing),
                List.of("ppl", "--model", missing, "--text", missing),
                List.of("eval", "--model", missing),
                List.of("sensitivity", "--model", missing, "--out", out),
                List.of("search", "--model", missing, "--sparsity", "0.75", "--out", out),
                List.of("prune", "--model", missing, "--method", "magnitude", "--sparsity", "0.5", "--out", out),
                List.of("pack", "--model", missing, "--out", out),
                List.of("run", "--model", missing, "--out", out),
                List.of("report", missing));
        for (List<String> c : cases) {
            Cli.Run r = cli(c.toArray(String[]::new));
            assertThat(r.exit()).as("%s -> %s", c, r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
            assertThat(r.err()).as(c.toString()).contains("missing.bin").doesNotContain("Exception");
        }
        assertThat(dir.resolve("o")).doesNotExist();
    }

    /** F11: running out of memory says what ran out, the limit and how to raise it; exit 1, nothing left behind. */
    @Test
    void outOfMemoryIsExplained(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("p.bin");
        CliProcess.Result r = CliProcess.run(dir, List.of("-Xmx24m"), "prune", "-q", "--model", model(), "--method", "wanda", "--sparsity", "0.5",
                "--out", out.toString());
        assertThat(r.exit()).as(r.err()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(r.err()).contains("out of memory in 'prune'").contains("Java heap space").contains("-Xmx24m").contains("MIXPRUNE_JAVA_OPTS")
                .doesNotContain("Exception in thread").doesNotContain("java.lang.OutOfMemoryError");
        try (var files = java.nio.file.Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("std"))).isEmpty();
        }
    }
}
