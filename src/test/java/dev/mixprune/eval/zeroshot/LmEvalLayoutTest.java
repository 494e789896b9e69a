package dev.mixprune.eval.zeroshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * eval's results file against lm-evaluation-harness's. The reference file
 * (src/test/resources/lm-eval/) has the shape lm-eval's code writes (evaluator.simple_evaluate,
 * evaluator_utils.EvalAcc._to_eval_results, loggers.EvaluationTracker.save_results_aggregated,
 * result_schema.EvalResults; values invented): a group, a task with one document ("N/A" stderr),
 * the environment keys. Both files are read by the same tiny reader a user's script would have.
 */
class LmEvalLayoutTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a user's tooling does with an lm-eval results file. */
    record ToolingRow(double acc, Object accStderr, Double accNorm, int effective, int original, Object version) {}

    static Map<String, ToolingRow> userTooling(JsonNode results) {
        Map<String, ToolingRow> out = new LinkedHashMap<>();
        for (Iterator<String> it = results.get("n-samples").fieldNames(); it.hasNext(); ) {
            String task = it.next();
            JsonNode r = results.get("results").get(task);
            JsonNode stderr = r.get("acc_stderr,none");
            out.put(task, new ToolingRow(r.get("acc,none").asDouble(), stderr.isNumber() ? stderr.asDouble() : stderr.asText(),
                    r.has("acc_norm,none") ? r.get("acc_norm,none").asDouble() : null,
                    results.get("n-samples").get(task).get("effective").asInt(), results.get("n-samples").get(task).get("original").asInt(),
                    results.get("versions").get(task).numberValue()));
        }
        return out;
    }

    static JsonNode lmEvalReference() throws IOException {
        try (InputStream in = LmEvalLayoutTest.class.getResourceAsStream("/lm-eval/results_2025-01-01T00-00-00.json")) {
            return JSON.readTree(in);
        }
    }

    static EvalReport ours() {
        List<EvalReport.TaskRow> rows = List.of(
                new EvalReport.TaskRow(new TaskResult("arc_easy", 20, 0.6, Metrics.stderr(12, 20), 0.5, Metrics.stderr(10, 20), 0.2503), 2376, 1.2),
                new EvalReport.TaskRow(new TaskResult("hellaswag", 20, 0.35, Metrics.stderr(7, 20), 0.45, Metrics.stderr(9, 20), 0.25), 10042, 3.4),
                new EvalReport.TaskRow(new TaskResult("boolq", 1, 1.0, Metrics.stderr(1, 1), Double.NaN, Double.NaN, 0.5), 3270, 0.1));
        return new EvalReport("models/pruned.bin", "pretrained=models/pruned.bin,scoring=cached", EvalLimit.parse("20"), "harness-shuffle",
                rows, List.of(), 1.7e9, 4.7);
    }

    @Test
    void theUsersReaderReadsLmEvalsFileAndOursAlike() throws IOException {
        Map<String, ToolingRow> ref = userTooling(lmEvalReference());
        assertThat(ref.get("arc_easy")).isEqualTo(new ToolingRow(0.6, 0.11239029738980327, 0.5, 20, 2376, 1.0));
        assertThat(ref.get("boolq").accStderr()).isEqualTo("N/A");

        JsonNode written = JSON.readTree(ours().toJsonString());
        Map<String, ToolingRow> mine = userTooling(written);
        assertThat(mine.keySet()).containsExactly("arc_easy", "hellaswag", "boolq");
        assertThat(mine.get("arc_easy")).isEqualTo(new ToolingRow(0.6, Metrics.stderr(12, 20), 0.5, 20, 2376, 1.0));
        assertThat(mine.get("hellaswag").accNorm()).isEqualTo(0.45);
        assertThat(mine.get("boolq")).isEqualTo(new ToolingRow(1.0, "N/A", null, 1, 3270, 2.0));   // one document: no stderr, as lm-eval
    }

    @Test
    void ourKeysAreLmEvalsKeysWithTheSameTypes() throws IOException {
        JsonNode ref = lmEvalReference();
        JsonNode mine = JSON.readTree(ours().toJsonString());
        // Top level: every key of ours is one lm-eval writes (result_schema.EvalResults), with the same JSON type, plus "mixprune".
        for (Iterator<String> it = mine.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (k.equals("mixprune")) continue;
            assertThat(ref.has(k)).as("lm-eval writes top-level key '%s'", k).isTrue();
            assertThat(mine.get(k).getNodeType()).as("type of '%s'", k).isEqualTo(ref.get(k).getNodeType());
        }
        for (String k : List.of("results", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "config", "group_subtasks")) {
            assertThat(mine.has(k)).as(k).isTrue();
        }
        // Per task: the metric keys of a task with acc_norm and of one without are exactly lm-eval's.
        for (String task : List.of("arc_easy", "hellaswag", "boolq")) {
            assertThat(metricKeys(mine.get("results").get(task))).as(task).isEqualTo(metricKeys(ref.get("results").get(task)));
            assertThat(keys(mine.get("n-samples").get(task))).isEqualTo(keys(ref.get("n-samples").get(task)));
            assertThat(mine.get("higher_is_better").get(task)).isEqualTo(ref.get("higher_is_better").get(task));
            assertThat(mine.get("versions").get(task)).isEqualTo(ref.get("versions").get(task));
            JsonNode mc = mine.get("configs").get(task), rc = ref.get("configs").get(task);
            for (String k : List.of("task", "dataset_path", "doc_to_text", "doc_to_target", "target_delimiter", "fewshot_delimiter", "num_fewshot",
                    "output_type", "description")) {
                assertThat(mc.get(k)).as("configs.%s.%s", task, k).isEqualTo(rc.get(k));
            }
        }
        // config: a subset of lm-eval's keys, same types where both are set.
        for (Iterator<String> it = mine.get("config").fieldNames(); it.hasNext(); ) {
            String k = it.next();
            assertThat(ref.get("config").has(k)).as("config.%s", k).isTrue();
        }
        assertThat(mine.get("config").get("limit").isNumber()).isTrue();
        assertThat(mine.get("config").get("model_args").asText()).isEqualTo("pretrained=models/pruned.bin,scoring=cached");
        assertThat(mine.get("model_name_sanitized").asText()).isEqualTo("models__pruned.bin");
    }

    @Test
    void ourReaderReadsLmEvalsOwnFile() throws IOException {
        EvalReport r = EvalReport.fromJson(lmEvalReference(), "results.json");
        assertThat(r.model()).isEqualTo("EleutherAI/pythia-160m");
        assertThat(r.limit().count()).isEqualTo(20);
        assertThat(r.seconds()).isCloseTo(55.5556, within(1e-9));
        assertThat(r.tasks()).extracting(t -> t.result().task()).containsExactly("ai2_arc", "arc_challenge", "arc_easy", "boolq", "hellaswag");
        TaskResult arc = r.task("arc_easy");
        assertThat(arc.n()).isEqualTo(20);
        assertThat(arc.acc()).isEqualTo(0.6);
        assertThat(arc.accNorm()).isEqualTo(0.5);
        assertThat(arc.chance()).isNaN();                                // lm-eval has no chance level
        assertThat(r.task("boolq").accStderr()).isNaN();                 // "N/A"
        assertThat(r.task("boolq").hasAccNorm()).isFalse();
        assertThat(r.task("ai2_arc").n()).isEqualTo(40);                 // a group: no n-samples, sample_len
        assertThat(r.tasks().get(2).original()).isEqualTo(2376);
    }

    @Test
    void roundTripKeepsEverythingTheReportShows() {
        EvalReport a = ours();
        EvalReport b = EvalReport.fromJson(a.toJson(), "ours");
        assertThat(b.model()).isEqualTo(a.model());
        assertThat(b.modelArgs()).isEqualTo(a.modelArgs());
        assertThat(b.limit()).isEqualTo(a.limit());
        assertThat(b.selection()).isEqualTo("harness-shuffle");
        assertThat(b.tasks()).hasSize(3);
        for (int i = 0; i < 3; i++) {
            TaskResult x = a.tasks().get(i).result(), y = b.tasks().get(i).result();
            assertThat(y.task()).isEqualTo(x.task());
            assertThat(y.n()).isEqualTo(x.n());
            assertThat(y.acc()).isEqualTo(x.acc());
            assertThat(Double.compare(y.accNorm(), x.accNorm())).isZero();
            assertThat(y.chance()).isEqualTo(x.chance());
            assertThat(b.tasks().get(i).original()).isEqualTo(a.tasks().get(i).original());
        }
        assertThat(b.meanAcc()).isEqualTo(a.meanAcc());
    }

    @Test
    void limitParsesAsLmEval() {
        assertThat(EvalLimit.parse("20").documents(2376)).isEqualTo(20);
        assertThat(EvalLimit.parse("20.0").documents(2376)).isEqualTo(20);
        assertThat(EvalLimit.parse("0.1").documents(2376)).isEqualTo(238);       // ceil(237.6)
        assertThat(EvalLimit.parse("0.5").documents(277)).isEqualTo(139);        // ceil(138.5)
        assertThat(EvalLimit.parse("5000").documents(277)).isEqualTo(277);
        assertThat(EvalLimit.parse("0").isNone()).isTrue();
        assertThat(EvalLimit.parse(null).documents(10)).isEqualTo(10);
        assertThat(EvalLimit.parse("0.1").toString()).isEqualTo("0.1");
        assertThat(EvalLimit.parse("0.1").jsonValue()).isEqualTo(0.1);
        assertThat(EvalLimit.parse("200").jsonValue()).isEqualTo(200);
        for (String bad : List.of("-1", "2.5", "abc", "NaN", "Infinity")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> EvalLimit.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    private static Set<String> keys(JsonNode o) {
        Set<String> s = new TreeSet<>();
        o.fieldNames().forEachRemaining(s::add);
        return s;
    }

    /** The keys a results entry has, without HEAD's bookkeeping fields (name, sample_len), which 0.4.x releases do not write. */
    private static Set<String> metricKeys(JsonNode o) {
        Set<String> s = keys(o);
        s.removeAll(Set.of("name", "sample_len", "sample_count"));
        return s;
    }
}
