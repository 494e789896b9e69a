package dev.mixprune.json;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.allocate.FisherReport;
import dev.mixprune.allocate.FisherTraces;
import dev.mixprune.allocate.SearchCheckpoint;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.SparsityPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Pins the exact messages the three versioned JSON readers give for a broken header, now that they
 * share JsonChecks and ModelShape.fromJson. (Sharing them added ", got ..." to the plan's and the
 * checkpoint's 'format' message, and made the plan's model fields positive integers like the
 * Fisher report's.)
 */
class HeaderMessagesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final LlamaConfig MODEL = new LlamaConfig(16, 40, 2, 4, 2, 32, 8, LlamaConfig.DEFAULT_EPS, LlamaConfig.DEFAULT_ROPE_THETA, true);

    @TempDir Path dir;

    private Path write(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private static ObjectNode planJson() {
        return SparsityPlan.uniform(MODEL, Pattern.parse("2:4")).toJson();
    }

    private static void assertBad(ThrowingRunnable r, String message) {
        assertThatThrownBy(r::run).isInstanceOf(BadInputException.class).hasMessage(message);
    }

    interface ThrowingRunnable { void run() throws Exception; }

    interface Loader { Object load(Path file) throws Exception; }

    /** A file that is not JSON at all: the message names the file and what it should have been. */
    private void assertRejectsBrokenText(String name, Loader loader, String what) throws Exception {
        Path bad = write(name, "{ nope");
        assertThatThrownBy(() -> loader.load(bad)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(bad + ": " + what + ": ");
    }

    /** {@code root} after {@code change} to its "model" object. */
    private static ObjectNode withModel(ObjectNode root, java.util.function.Consumer<ObjectNode> change) {
        change.accept((ObjectNode) root.get("model"));
        return root;
    }

    // ---- SparsityPlan ----

    @Test
    void planHeaderMessages() throws Exception {
        assertRejectsBrokenText("p.json", SparsityPlan::load, "not valid JSON");
        assertBad(() -> SparsityPlan.fromJson(JSON.readTree("[1]"), "p.json"), "p.json: expected a JSON object");
        assertBad(() -> SparsityPlan.fromJson(null, "p.json"), "p.json: expected a JSON object");

        ObjectNode f = planJson().put("format", "mixprune.fisher");
        assertBad(() -> SparsityPlan.fromJson(f, "p.json"), "p.json: field 'format' must be 'mixprune.sparsity-plan', got \"mixprune.fisher\"");
        ObjectNode v = planJson().put("version", 2);
        assertBad(() -> SparsityPlan.fromJson(v, "p.json"), "p.json: field 'version' must be 1, got 2");
        ObjectNode m = withModel(planJson(), mm -> mm.put("n_heads", "four"));
        assertBad(() -> SparsityPlan.fromJson(m, "p.json"), "p.json: field 'model.n_heads' missing or not a positive integer");
        ObjectNode gone = withModel(planJson(), mm -> mm.remove("vocab_size"));
        assertBad(() -> SparsityPlan.fromJson(gone, "p.json"), "p.json: field 'model.vocab_size' missing or not a positive integer");
        ObjectNode zero = withModel(planJson(), mm -> mm.put("hidden_dim", 0));
        assertBad(() -> SparsityPlan.fromJson(zero, "p.json"), "p.json: field 'model.hidden_dim' missing or not a positive integer");
    }

    @Test
    void planRoundTripsThroughTheSharedChecks() throws Exception {
        SparsityPlan p = SparsityPlan.uniform(MODEL, Pattern.parse("2:4"));
        Path f = dir.resolve("plan.json");
        p.save(f);
        org.assertj.core.api.Assertions.assertThat(SparsityPlan.load(f)).isEqualTo(p);
    }

    // ---- FisherReport ----

    private static ObjectNode fisherJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FisherReport.FORMAT).put("version", FisherReport.VERSION);
        root.set("model", planJson().get("model").deepCopy());
        root.put("windows", 2).put("seqlen", 8);
        root.putObject("layers");
        return root;
    }

    @Test
    void fisherHeaderMessages() throws Exception {
        assertRejectsBrokenText("f.json", FisherReport::load, "not valid JSON");
        assertBad(() -> FisherReport.fromJson(JSON.readTree("\"x\""), "f.json"), "f.json: expected a JSON object");

        ObjectNode f = fisherJson().put("format", "mixprune.sparsity-plan");
        assertBad(() -> FisherReport.fromJson(f, "f.json"), "f.json: field 'format' must be 'mixprune.fisher', got \"mixprune.sparsity-plan\"");
        ObjectNode v = fisherJson().put("version", "one");
        assertBad(() -> FisherReport.fromJson(v, "f.json"), "f.json: field 'version' must be 1, got \"one\"");
        ObjectNode m = withModel(fisherJson(), mm -> mm.put("dim", 0));
        assertBad(() -> FisherReport.fromJson(m, "f.json"), "f.json: field 'model.dim' missing or not a positive integer");
        ObjectNode h = withModel(fisherJson(), mm -> mm.put("n_heads", 3));
        assertBad(() -> FisherReport.fromJson(h, "f.json"), "f.json: model.dim 16 is not a multiple of model.n_heads 3");
    }

    // ---- FisherTraces (the lenient reader of search --fisher) ----

    @Test
    void fisherTracesNamesTheFile() throws Exception {
        assertRejectsBrokenText("t.json", f -> FisherTraces.read(f, MODEL), "Fisher file is not valid JSON");
        Path arr = write("arr.json", "[]");
        assertBad(() -> FisherTraces.read(arr, MODEL), arr + ": Fisher file: expected a JSON object");
    }

    // ---- SearchCheckpoint ----

    @Test
    void checkpointHeaderMessages() throws Exception {
        assertRejectsBrokenText("c.json", SearchCheckpoint::load, "corrupted search checkpoint, not valid JSON");
        Path arr = write("a.json", "[]");
        assertBad(() -> SearchCheckpoint.load(arr), arr + ": corrupted search checkpoint: expected a JSON object");
        Path fmt = write("f.json", "{\"format\": \"mixprune.fisher\", \"version\": 1}");
        assertBad(() -> SearchCheckpoint.load(fmt), fmt + ": field 'format' must be 'mixprune.search-checkpoint', got \"mixprune.fisher\"");
        Path ver = write("v.json", "{\"format\": \"mixprune.search-checkpoint\"}");
        assertBad(() -> SearchCheckpoint.load(ver), ver + ": field 'version' must be 1, got ");
    }
}
