package dev.mixprune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ForwardCommandsTest {
    record Run(int code, byte[] out, String err) {
        String text() { return new String(out, StandardCharsets.UTF_8); }
    }

    static Run run(java.util.function.BiFunction<PrintStream, PrintStream, Object> make, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8), e = new PrintStream(err, true, StandardCharsets.UTF_8);
        CommandLine cl = new CommandLine(make.apply(o, e));
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setErr(new java.io.PrintWriter(e, true));
        int code = cl.execute(args);
        return new Run(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void generateGreedyN256PrintsExactlyTheExpectedText() throws Exception {
        byte[] expected = Files.readAllBytes(SharedFiles.stories260KBin().resolveSibling("expected-greedy-n256.txt"));
        Run r = run(GenerateCommand::new, "--model", SharedFiles.stories260KBin().toString(), "-n", "256", "--temperature", "0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(expected);
        assertThat(r.err()).contains("tok/s");
    }

    @Test
    void generateWithPromptStartsWithThePromptAndSeedsAreReproducible() {
        String model = SharedFiles.stories260KBin().toString();
        Run a = run(GenerateCommand::new, "--model", model, "--tokenizer", SharedFiles.tok512().toString(),
                "--prompt", "Once upon a time", "-n", "40", "--temperature", "0.8", "--top-p", "0.9", "--seed", "7");
        Run b = run(GenerateCommand::new, "--model", model, "--prompt", "Once upon a time", "-n", "40", "--temperature", "0.8", "--top-p", "0.9", "--seed", "7");
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.text()).startsWith("Once upon a time");
        assertThat(a.out()).isEqualTo(b.out());
    }

    @Test
    void generateRejectsBadOptions() {
        Run r = run(GenerateCommand::new, "--model", SharedFiles.stories260KBin().toString(), "--temperature", "-1");
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("--temperature");
        Run missing = run(GenerateCommand::new, "--model", "/nonexistent/model.bin");
        assertThat(missing.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(missing.err()).contains("/nonexistent/model.bin");
    }

    @Test
    void pplPrintsTextAndJson(@TempDir Path dir) throws Exception {
        // A small excerpt of valid.txt keeps this fast; the full number is checked in PerplexityTest.
        String valid = Files.readString(SharedFiles.tinyStoriesValid());
        Path text = dir.resolve("small.txt");
        Files.writeString(text, valid.substring(0, 6000));
        String model = SharedFiles.stories260KBin().toString();
        Run plain = run(PplCommand::new, "--model", model, "--text", text.toString(), "--seqlen", "128");
        assertThat(plain.code()).as(plain.err()).isZero();
        assertThat(plain.text()).containsPattern("ppl\\s+\\d+\\.\\d{6}").containsPattern("windows\\s+\\d+").containsPattern("tokens\\s+\\d+");
        Run js = run(PplCommand::new, "--model", model, "--text", text.toString(), "--seqlen", "128", "--json");
        assertThat(js.code()).as(js.err()).isZero();
        JsonNode o = new ObjectMapper().readTree(js.text());
        assertThat(js.text().strip().lines()).hasSize(1);
        int windows = o.get("windows").asInt();
        assertThat(windows).isPositive();
        assertThat(o.get("tokens").asLong()).isEqualTo(windows * 127L);
        assertThat(o.get("ppl").asDouble()).isCloseTo(Math.exp(o.get("mean_nll").asDouble()), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(o.get("ppl").asDouble()).isBetween(1.5, 30.0);
        assertThat(plain.text()).contains(String.format(java.util.Locale.ROOT, "%.6f", o.get("ppl").asDouble()));
    }

    @Test
    void pplRejectsTextShorterThanOneWindow(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("tiny.txt");
        Files.writeString(text, "Hello.");
        Run r = run(PplCommand::new, "--model", SharedFiles.stories260KBin().toString(), "--text", text.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("tiny.txt").contains("fewer than one window");
    }
}
