package dev.mixprune.run;

import dev.mixprune.SharedFiles;
import dev.mixprune.cli.Main;
import dev.mixprune.prune.SparsityPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code prune --allocation}: any allocation with any method ("plug-and-play"). */
class PruneAllocationTest {
    private static final String MODEL = SharedFiles.stories260KBin().toString();

    @Test
    void owlAllocationWithMagnitudeSavesItsPlan(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("owl.bin");
        int code = Main.execute("prune", "--quiet", "--model", MODEL, "--method", "magnitude", "--sparsity", "0.6", "--allocation", "owl",
                "--nsamples", "4", "--out", out.toString());
        assertThat(code).isZero();
        SparsityPlan plan = SparsityPlan.load(tmp.resolve("owl.bin.plan.json"));
        assertThat(plan.allocation()).isEqualTo("owl");
        assertThat(plan.layers().values().stream().distinct().count()).as("OWL gives blocks different levels").isGreaterThan(1);
        assertThat(out).exists();
    }

    @Test
    void mspAllocationTakesTheSearchSizeOptions(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("msp.bin");
        int code = Main.execute("prune", "--quiet", "--model", MODEL, "--method", "wanda", "--sparsity", "0.5", "--allocation", "msp",
                "--nsamples", "2", "--seqlen", "64", "--fisher-samples", "2", "--fitness-windows", "2", "--generations", "1",
                "--population", "2", "--stage-tokens", "64", "--out", out.toString());
        assertThat(code).isZero();
        SparsityPlan plan = SparsityPlan.load(tmp.resolve("msp.bin.plan.json"));
        assertThat(plan.allocation()).isEqualTo("msp");
        var trace = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tmp.resolve("search-trace.json").toFile());
        assertThat(trace.get("generations").size()).as("initial population + --generations 1").isEqualTo(2);
    }

    @Test
    void badSearchSizeIsRejectedBeforeAnyWork(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("x.bin");
        assertThat(Main.execute("prune", "--quiet", "--model", MODEL, "--method", "wanda", "--sparsity", "0.5", "--allocation", "msp",
                "--stage-tokens", "1", "--out", out.toString())).isEqualTo(Main.EXIT_USAGE);
        try (var files = Files.list(tmp)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void allocationNeedsASparsityTarget(@TempDir Path tmp) {
        Path out = tmp.resolve("x.bin");
        assertThat(Main.execute("prune", "--quiet", "--model", MODEL, "--method", "wanda", "--pattern", "2:4", "--allocation", "owl",
                "--out", out.toString())).isEqualTo(Main.EXIT_USAGE);
        assertThat(out).doesNotExist();
        assertThat(tmp.resolve("x.bin.plan.json")).doesNotExist();
    }

    @Test
    void unknownAllocationIsRejectedBeforeAnyWork(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("x.bin");
        assertThat(Main.execute("prune", "--quiet", "--model", MODEL, "--method", "wanda", "--sparsity", "0.5", "--allocation", "best",
                "--out", out.toString())).isEqualTo(Main.EXIT_USAGE);
        try (var files = Files.list(tmp)) {
            assertThat(files).isEmpty();
        }
    }
}
