package dev.mixprune.cli;

import dev.mixprune.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SearchCommandTest {
    record Run(int code, String err) {}

    static Run run(String... args) {
        CommandLine cl = new CommandLine(new SearchCommand());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, err.toString());
    }

    static String model() { return SharedFiles.require(SharedFiles.stories260KBin()).toString(); }

    @Test
    void impossibleBudgetForThePatternIsAUsageError(@TempDir Path dir) {
        Run r = run("--model", model(), "--sparsity", "0.95", "--levels", "nm:8", "--out", dir.resolve("p.json").toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("0.95").contains("impossible").contains("nm:8").contains("1:8");
        assertThat(dir.resolve("p.json")).doesNotExist();
    }

    @Test
    void fisherFileFromAnotherModelIsBadInput(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("fisher.json");
        Files.writeString(f, """
                {"format":"mixprune.fisher","version":1,
                 "model":{"dim":288,"hidden_dim":768,"n_layers":6,"n_heads":6,"n_kv_heads":6,"vocab_size":32000},
                 "layers":{"blk.0.wq":{"trace":1.0}}}""");
        Run r = run("--model", model(), "--sparsity", "0.75", "--fisher", f.toString(), "--out", dir.resolve("p.json").toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains(f.toString()).contains("another model").contains("dim");

        Files.writeString(f, "{\"layers\":{\"blk.0.wq\":{\"trace\":1.0}}}");
        r = run("--model", model(), "--sparsity", "0.75", "--fisher", f.toString(), "--out", dir.resolve("p.json").toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("no Fisher trace for blk.0.wk");
    }

    @Test
    void badOptionsAreUsageErrors(@TempDir Path dir) {
        Run r = run("--model", model(), "--sparsity", "0.75", "--levels", "2:4", "--out", dir.resolve("p.json").toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("--levels");
        r = run("--model", model(), "--sparsity", "0.75", "--method", "obs", "--out", dir.resolve("p.json").toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
    }
}
