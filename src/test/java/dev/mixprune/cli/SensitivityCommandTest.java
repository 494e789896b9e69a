package dev.mixprune.cli;

import dev.mixprune.io.ModelLoader;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.allocate.FisherReport;
import dev.mixprune.io.Llama2cBin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SensitivityCommandTest {
    @TempDir Path dir;

    record Run(int exit, String out, String err) {}

    Run run(String... args) {
        SensitivityCommand cmd = new SensitivityCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        cmd.stdout = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.stderr = new PrintStream(err, true, StandardCharsets.UTF_8);
        CommandLine cl = new CommandLine(cmd);
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setExecutionExceptionHandler(new ErrorHandler());
        int exit = cl.execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void writesReportAndPrintsLayerAndBlockTables() throws Exception {
        Path out = dir.resolve("fisher.json");
        Run r = run("--model", SharedFiles.stories260KBin().toString(), "--fisher-samples", "2", "--seqlen", "24", "--out", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("blk.0.wq", "blk.4.w3", "sum F_l", "total", "windows 2 x 24 tokens");
        FisherReport rep = FisherReport.load(out, ModelLoader.loadWeights(SharedFiles.stories260KBin()).config());
        assertThat(rep.windows()).isEqualTo(2);
        assertThat(rep.seqLen()).isEqualTo(24);
        assertThat(rep.source()).contains("calib.txt", "seed 0");
        assertThat(rep.traces().values()).allSatisfy(v -> assertThat(v).isPositive());
    }

    /** A small calibration file (the first paragraphs of the valid text), so tokenizing it is quick. */
    Path smallCalib() throws Exception {
        String[] paras = java.nio.file.Files.readString(SharedFiles.tinyStoriesValid()).split("\\n\\s*\\n");
        Path f = dir.resolve("small.txt");
        java.nio.file.Files.writeString(f, String.join("\n\n", java.util.Arrays.copyOf(paras, 12)));
        return f;
    }

    @Test
    void jsonFlagPrintsTheReport() throws Exception {
        Path out = dir.resolve("f.json");
        Run r = run("--model", SharedFiles.stories260KBin().toString(), "--calib", smallCalib().toString(), "--fisher-samples", "1",
                "--seqlen", "16", "--seed", "3", "--threads", "1", "--out", out.toString(), "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        var json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("format").asText()).isEqualTo("mixprune.fisher");
        assertThat(json.get("seqlen").asInt()).isEqualTo(16);
    }

    @Test
    void streamedFloat32AgreesWithTheDoubleReference() throws Exception {
        Path f32 = dir.resolve("f32.json"), f64 = dir.resolve("f64.json");
        String calib = smallCalib().toString();
        Run a = run("--model", SharedFiles.stories260KGguf().toString(), "--calib", calib, "--fisher-samples", "3", "--seqlen", "64", "--threads", "2",
                "--out", f32.toString());
        assertThat(a.exit()).as(a.err()).isZero();
        assertThat(a.err()).contains("sensitivity: 3 windows x 64 tokens in 1 group(s)", "checkpoints", "in memory", "sensitivity plan: peak memory");
        assertThat(a.out()).contains("float32, streamed, 2 threads");
        Run b = run("--model", SharedFiles.stories260KBin().toString(), "--calib", calib, "--fisher-samples", "3", "--seqlen", "64", "--reference",
                "--out", f64.toString());
        assertThat(b.exit()).as(b.err()).isZero();
        assertThat(b.out()).contains("double reference");
        var config = dev.mixprune.io.ModelLoader.loadWeights(SharedFiles.stories260KBin()).config();
        FisherReport x = FisherReport.load(f32, config), y = FisherReport.load(f64, config);
        assertThat(x.dataSha256()).isEqualTo(y.dataSha256());
        for (var e : y.traces().entrySet()) {
            assertThat(x.trace(e.getKey())).as(e.getKey().name()).isCloseTo(e.getValue(), org.assertj.core.data.Percentage.withPercentage(1e-2));
        }
        try (var files = java.nio.file.Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactlyInAnyOrder("f32.json", "f64.json", "small.txt");
        }
    }

    @Test
    void badArgumentsFail() throws Exception {
        Path out = dir.resolve("x.json");
        String calib = smallCalib().toString();
        assertThat(run("--model", SharedFiles.stories260KBin().toString(), "--calib", calib, "--seqlen", "1", "--out", out.toString()).exit()).isNotZero();
        assertThat(run("--model", SharedFiles.stories260KBin().toString(), "--calib", calib, "--fisher-samples", "0", "--out", out.toString()).exit()).isNotZero();
        Run tooLong = run("--model", SharedFiles.stories260KBin().toString(), "--calib", calib, "--seqlen", "100000", "--out", out.toString());
        assertThat(tooLong.exit()).isNotZero();
        assertThat(tooLong.err()).contains("--seqlen").contains("context length 512");
        assertThat(run("--model", dir.resolve("missing.bin").toString(), "--out", out.toString()).exit()).isNotZero();
        Run tooSmall = run("--model", SharedFiles.stories260KBin().toString(), "--calib", calib, "--fisher-samples", "2", "--seqlen", "32", "--max-memory", "256m",
                "--out", out.toString());
        assertThat(tooSmall.exit()).isEqualTo(3);
        assertThat(tooSmall.err()).contains("--max-memory 256.0 MiB", "JVM");
        assertThat(out).doesNotExist();
    }
}
