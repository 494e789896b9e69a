package dev.mixprune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.eval.zeroshot.EvalReport;
import dev.mixprune.eval.zeroshot.FakeCausalModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The eval command wired to a fake causal model (the real forward is another engineer's work). */
class EvalCommandTest {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();

    private int run(String... args) {
        EvalCommand cmd = new EvalCommand(m -> new FakeCausalModel(m.weights().config().vocabSize(), m.weights().config().seqLen()),
                (m, f, p) -> new EvalReport.PplRow(f.toString(), 12.5, 3, 1533, 512), new PrintStream(stdout, true, StandardCharsets.UTF_8));
        CommandLine cl = new CommandLine(cmd);
        // The fake model replaces the batched forward; the cached path would run the real weights.
        if (!java.util.Arrays.asList(args).contains("--scoring")) {
            String[] more = java.util.Arrays.copyOf(args, args.length + 2);
            more[args.length] = "--scoring";
            more[args.length + 1] = "batched";
            args = more;
        }
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setErr(new java.io.PrintWriter(new ByteArrayOutputStream()));
        return cl.execute(args);
    }

    private static String model() { return SharedFiles.require(SharedFiles.stories260KBin()).toString(); }

    @Test
    void jsonOutputAndFileInLmEvalLayout(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run/eval.json");
        int code = run("--model", model(), "--tasks", "rte,winogrande,arc_easy", "--limit", "5", "--json", "--out", out.toString(),
                "--ppl", "some.txt", "-q");
        assertThat(code).isZero();
        JsonNode printed = new ObjectMapper().readTree(stdout.toString(StandardCharsets.UTF_8));
        JsonNode file = new ObjectMapper().readTree(Files.readString(out));
        assertThat(printed).isEqualTo(file);
        // lm-evaluation-harness's keys, read the way tools read them.
        JsonNode rte = file.get("results").get("rte");
        assertThat(rte.get("alias").asText()).isEqualTo("rte");
        assertThat(rte.get("acc,none").asDouble()).isBetween(0.0, 1.0);
        assertThat(rte.get("acc_stderr,none").isNumber()).isTrue();
        assertThat(rte.has("acc_norm,none")).isFalse();             // the harness has no acc_norm for rte
        JsonNode arc = file.get("results").get("arc_easy");
        assertThat(arc.get("acc_norm,none").isNumber()).isTrue();
        assertThat(arc.get("acc_norm_stderr,none").isNumber()).isTrue();
        assertThat(file.get("n-samples").get("arc_easy").get("effective").asInt()).isEqualTo(5);
        assertThat(file.get("n-samples").get("arc_easy").get("original").asInt()).isEqualTo(2376);
        assertThat(file.get("versions").get("boolq")).isNull();
        assertThat(file.get("versions").get("arc_easy").asDouble()).isEqualTo(1.0);
        assertThat(file.get("configs").get("arc_easy").get("test_split").asText()).isEqualTo("test");
        assertThat(file.get("configs").get("rte").get("doc_to_text").asText()).isEqualTo("{{sentence1}}\nQuestion: {{sentence2}} True or False?\nAnswer:");
        assertThat(file.get("n-shot").get("winogrande").asInt()).isZero();
        assertThat(file.get("higher_is_better").get("arc_easy").get("acc_norm").asBoolean()).isTrue();
        assertThat(file.get("config").get("model_args").asText()).startsWith("pretrained=" + model());
        assertThat(file.get("config").get("limit").asInt()).isEqualTo(5);
        assertThat(file.get("config").get("random_seed").asInt()).isEqualTo(42);
        // Ours, under "mixprune".
        JsonNode mp = file.get("mixprune");
        assertThat(mp.get("selection").asText()).isEqualTo("harness-shuffle");
        assertThat(mp.get("tasks").get("rte").get("chance").asDouble()).isEqualTo(0.5);
        assertThat(mp.get("perplexity").get(0).get("ppl").asDouble()).isEqualTo(12.5);
        // Round trip through the reader the report uses.
        EvalReport back = EvalReport.fromJson(file, out.toString());
        assertThat(back.tasks()).hasSize(3);
        assertThat(back.task("rte").acc()).isEqualTo(rte.get("acc,none").asDouble());
        assertThat(back.task("rte").chance()).isEqualTo(0.5);
        assertThat(back.tasks().get(2).original()).isEqualTo(2376);
    }

    @Test
    void fractionalLimitAsLmEval(@TempDir Path tmp) throws Exception {
        // lm-eval: a limit below 1 is a fraction, rounded up: ceil(277 * 0.01) = 3 RTE documents.
        Path out = tmp.resolve("e.json");
        assertThat(run("--model", model(), "--tasks", "rte", "--limit", "0.01", "--out", out.toString(), "-q")).isZero();
        JsonNode file = new ObjectMapper().readTree(Files.readString(out));
        assertThat(file.get("n-samples").get("rte").get("effective").asInt()).isEqualTo(3);
        assertThat(file.get("config").get("limit").asDouble()).isEqualTo(0.01);
        assertThat(run("--model", model(), "--tasks", "rte", "--limit", "2.5", "-q")).isEqualTo(Main.EXIT_USAGE);
        assertThat(run("--model", model(), "--tasks", "rte", "--limit", "ten", "-q")).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void tableOnStdout() {
        assertThat(run("--model", model(), "--tasks", "boolq", "--limit", "3", "--limit-order", "file", "-q")).isZero();
        String s = stdout.toString(StandardCharsets.UTF_8);
        assertThat(s).contains("task").contains("acc_norm").contains("chance");
        assertThat(s.lines().filter(l -> l.startsWith("boolq"))).singleElement().satisfies(l -> {
            assertThat(l).matches("boolq\\s+3\\s+[01]\\.\\d{4}\\s+\\S+\\s+-\\s+0\\.5000");
        });
    }

    @Test
    void usageAndInputErrorsMapToExitCodes(@TempDir Path tmp) {
        assertThat(run("--model", model(), "--tasks", "nosuchtask", "-q")).isEqualTo(Main.EXIT_USAGE);
        assertThat(run("--model", model(), "--limit-order", "sideways", "-q")).isEqualTo(Main.EXIT_USAGE);
        assertThat(run("--model", model(), "--scoring", "magic", "-q")).isEqualTo(Main.EXIT_USAGE);
        assertThat(run("--model", tmp.resolve("missing.bin").toString(), "-q")).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(run("--model", model(), "--tasks", "rte", "--tasks-dir", tmp.toString(), "-q")).isEqualTo(Main.EXIT_BAD_INPUT);
    }

    @Test
    void perplexityWiringMatchesTheProtocol() throws Exception {
        // A real run of protocol P on the first paragraphs of TinyStories valid (stories260K: dense ppl about 4.6).
        Path text = Files.createTempFile("zs-ppl", ".txt");
        String all = Files.readString(SharedFiles.require(SharedFiles.tinyStoriesValid()));
        Files.writeString(text, all.substring(0, 6_000));
        var m = dev.mixprune.io.ModelLoader.load(SharedFiles.stories260KBin(), null);
        EvalReport.PplRow row = EvalCommand.perplexityOf(m, text, dev.mixprune.progress.ProgressFactory.quiet());
        var direct = dev.mixprune.eval.Perplexity.compute(m.weights(),
                dev.mixprune.data.TokenStream.of(dev.mixprune.data.Corpus.read(text), m.requireTokenizer()).toArray(), 512);
        // Not bit-equal: two identical Perplexity.compute calls differ in the 8th digit (forward's float reductions).
        assertThat(row.ppl()).isCloseTo(direct.ppl(), org.assertj.core.api.Assertions.within(1e-6 * direct.ppl()));
        assertThat(row.windows()).isEqualTo(direct.windows()).isPositive();
        assertThat(row.ppl()).isBetween(2.0, 10.0);
        Files.delete(text);
    }

    @Test
    void taskListParsing() {
        assertThat(EvalCommand.parseTasks(java.util.List.of("all"))).hasSize(8);
        assertThat(EvalCommand.parseTasks(java.util.List.of("piqa", "boolq", "piqa"))).extracting(t -> t.id()).containsExactly("piqa", "boolq");
        assertThat(EvalCommand.parseTasks(java.util.List.of("none"))).isEmpty();
    }
}
