package dev.mixprune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.SparsityPlan;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class PruneCommandTest {
    static Path model, tok;
    @TempDir static Path shared;
    static Path evalText;

    @BeforeAll
    static void setUp() throws Exception {
        model = SharedFiles.require(SharedFiles.stories260KBin());
        tok = SharedFiles.require(SharedFiles.tok512());
        // A short evaluation text (a few windows of 512) keeps the test fast.
        String[] paras = Files.readString(SharedFiles.require(SharedFiles.tinyStoriesValid())).split("\\n\\s*\\n");
        evalText = shared.resolve("eval.txt");
        Files.writeString(evalText, String.join("\n\n", java.util.Arrays.copyOf(paras, 60)));
    }

    record Run(int exit, String out, String err) { }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new PruneCommand());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static List<String> base(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("--model", model.toString(), "--tokenizer", tok.toString(),
                "--nsamples", "4", "--seqlen", "64", "--out", out.toString()));
        a.addAll(List.of(more));
        return a;
    }

    @Test
    void wandaNMWritesModelAndManifestWhoseSparsityMatchesARecountOfTheFile(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("pruned.bin");
        Run r = run(base(out, "--method", "wanda", "--pattern", "2:4", "--eval", evalText.toString(), "--json").toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("prune: block 5/5");
        JsonNode m = new ObjectMapper().readTree(Files.readString(PruneCommand.manifestPath(out)));
        assertThat(new ObjectMapper().readTree(r.out())).isEqualTo(m);
        assertThat(m.path("format").asText()).isEqualTo(PruneCommand.MANIFEST_FORMAT);
        assertThat(m.path("calibration").path("offsets")).hasSize(4);
        assertThat(m.path("calibration").path("seed").asLong()).isZero();
        assertThat(m.path("timings").path("blocks")).hasSize(5);
        assertThat(m.path("command").get(0).asText()).isEqualTo("mixprune");
        assertThat(m.path("command").toString()).contains("--pattern", "2:4");

        LoadedModel back = ModelLoader.load(out, tok);
        LlamaConfig c = back.weights().config();
        long zeros = 0;
        for (LayerId id : LayerId.all(c)) {
            long z = back.weights().linear(id).countZeros();
            assertThat(m.path("sparsity").path("layers").path(id.name()).path("zeros").asLong()).as(id.name()).isEqualTo(z);
            assertThat(z).isEqualTo(new Pattern.NM(2, 4).prunedCount(c.rowsOf(id.kind()), c.colsOf(id.kind())));
            zeros += z;
        }
        assertThat(m.path("sparsity").path("overall").asDouble()).isEqualTo((double) zeros / c.prunableTotal());
        double dense = m.path("perplexity").path("dense").path("ppl").asDouble();
        double pruned = m.path("perplexity").path("pruned").path("ppl").asDouble();
        assertThat(dense).isGreaterThan(1).isLessThan(pruned);
        // The embedding, norms and classifier are untouched.
        LoadedModel orig = ModelLoader.load(model, tok);
        assertThat(back.weights().tokenEmbedding().data()).containsExactly(orig.weights().tokenEmbedding().data());
    }

    @Test
    void sparseGptWithAMixedPlanToGguf(@TempDir Path dir) throws Exception {
        LoadedModel orig = ModelLoader.load(model, tok);
        LlamaConfig c = orig.weights().config();
        java.util.Map<LayerId, Pattern> layers = new java.util.TreeMap<>();
        for (LayerId id : LayerId.all(c)) layers.put(id, id.block() % 2 == 0 ? new Pattern.NM(3, 8) : new Pattern.Unstructured(0.6));
        Path plan = dir.resolve("plan.json");
        new SparsityPlan("test", SparsityPlan.ModelShape.of(c), layers).save(plan);
        Path out = dir.resolve("pruned.gguf");
        Run r = run(base(out, "--method", "sparsegpt", "--plan", plan.toString(), "--format", "gguf").toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        LoadedModel back = ModelLoader.load(out, null);
        JsonNode m = new ObjectMapper().readTree(Files.readString(PruneCommand.manifestPath(out)));
        for (LayerId id : LayerId.all(c)) {
            long z = back.weights().linear(id).countZeros();
            assertThat(m.path("sparsity").path("layers").path(id.name()).path("zeros").asLong()).isEqualTo(z);
            assertThat(m.path("sparsity").path("layers").path(id.name()).path("pattern").asText()).isEqualTo(layers.get(id).text());
        }
    }

    @Test
    void magnitudeNeedsNoCalibrationText(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("m.bin");
        Run r = run("--model", model.toString(), "--method", "magnitude", "--sparsity", "0.5", "--calib", dir.resolve("missing.txt").toString(),
                "--out", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("achieved sparsity 0.5");
        JsonNode m = new ObjectMapper().readTree(Files.readString(PruneCommand.manifestPath(out)));
        assertThat(m.path("calibration").path("used").asBoolean()).isFalse();
    }

    @Test
    void badInputIsRejectedWithAClearMessageAndNothingWritten(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n\n  \n");
        Path tiny = Files.writeString(dir.resolve("tiny.txt"), "Once upon a time.");
        LlamaConfig c = ModelLoader.load(model, tok).weights().config();
        ObjectNode unknown = SparsityPlan.uniform(c, new Pattern.NM(2, 4)).toJson();
        ((ObjectNode) unknown.path("layers")).put("blk.9.wq", "2:4");
        Path unknownPlan = Files.writeString(dir.resolve("unknown.json"), unknown.toString());
        ObjectNode badKind = SparsityPlan.uniform(c, new Pattern.NM(2, 4)).toJson();
        ((ObjectNode) badKind.path("layers")).put("blk.0.w9", "2:4");
        Path badKindPlan = Files.writeString(dir.resolve("kind.json"), badKind.toString());
        LlamaConfig other = new LlamaConfig(128, 344, 5, 8, 4, 512, 512, 1e-5f, 10000f, true);
        Path otherPlan = dir.resolve("other.json");
        SparsityPlan.uniform(other, new Pattern.NM(2, 4)).save(otherPlan);
        Path out = dir.resolve("out").resolve("x.bin");
        record Bad(List<String> args, String message) { }
        // Option values: usage errors (exit 2), the option named.
        List<Bad> usage = List.of(
                new Bad(base(out, "--method", "wanda", "--sparsity", "1.0"), "--sparsity"),
                new Bad(base(out, "--method", "wanda", "--sparsity", "-0.1"), "[0, 1)"),
                new Bad(base(out, "--method", "wanda", "--sparsity", "half"), "--sparsity"),
                new Bad(base(out, "--method", "wanda", "--pattern", "4:4"), "1 <= N < M"),
                new Bad(base(out, "--method", "wanda", "--pattern", "5:4"), "1 <= N < M"),
                new Bad(base(out, "--method", "wanda", "--pattern", "2:4:8"), "expected N:M"),
                new Bad(base(out, "--method", "wanda", "--pattern", "0.5"), "expected N:M"),
                new Bad(base(out, "--method", "wanda", "--pattern", "2:128"), "at least M = 128"),
                new Bad(base(out, "--method", "foo", "--pattern", "2:4"), "unknown pruning method"),
                new Bad(List.of("--model", model.toString(), "--method", "wanda", "--pattern", "2:4", "--nsamples", "0", "--out", out.toString()), "--nsamples"));
        // Input files: bad input (exit 3), the file named.
        List<Bad> badInput = List.of(
                new Bad(base(out, "--method", "wanda", "--plan", unknownPlan.toString()), "blk.9.wq"),
                new Bad(base(out, "--method", "wanda", "--plan", badKindPlan.toString()), "w9"),
                new Bad(base(out, "--method", "wanda", "--plan", otherPlan.toString()), "plan is for model"),
                new Bad(base(out, "--method", "wanda", "--pattern", "2:4", "--calib", empty.toString()), "empty"),
                new Bad(base(out, "--method", "sparsegpt", "--pattern", "2:4", "--calib", tiny.toString()), "tokens"));
        for (Bad b : usage) {
            Run r = run(b.args().toArray(String[]::new));
            assertThat(r.exit()).as("%s -> %s", b.args(), r.err()).isEqualTo(Main.EXIT_USAGE);
            assertThat(r.err()).as(b.args().toString()).contains(b.message());
            assertThat(Files.exists(dir.resolve("out")) ? listAll(dir.resolve("out")) : List.of()).as(b.args().toString()).isEmpty();
        }
        for (Bad b : badInput) {
            Run r = run(b.args().toArray(String[]::new));
            assertThat(r.exit()).as("%s -> %s", b.args(), r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
            assertThat(r.err()).as(b.args().toString()).contains("bad input").contains(b.message());
            assertThat(Files.exists(dir.resolve("out")) ? listAll(dir.resolve("out")) : List.of()).as(b.args().toString()).isEmpty();
        }
        // Two targets at once is a usage error.
        Run both = run(base(out, "--method", "wanda", "--pattern", "2:4", "--sparsity", "0.5").toArray(String[]::new));
        assertThat(both.exit()).isEqualTo(Main.EXIT_USAGE);
    }

    static List<Path> listAll(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) { return s.toList(); }
    }
}
