package dev.mixprune.eval.zeroshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code mixprune eval} measured: zero-shot accuracies and perplexities of one model.
 * JSON schema "mixprune.eval" version 1 is documented in docs/evaluation.md; the report reads it.
 *
 * @param model      model file as given
 * @param limit      --limit (0 = all documents)
 * @param selection  how a limit picks documents ("harness-shuffle" or "file-order")
 * @param tasks      one row per task, in the order run
 * @param perplexity one row per --ppl file
 */
public record EvalReport(String model, int limit, String selection, List<TaskRow> tasks, List<PplRow> perplexity) {
    public static final String FORMAT = "mixprune.eval";
    public static final int VERSION = 1;

    public EvalReport {
        tasks = List.copyOf(tasks);
        perplexity = List.copyOf(perplexity);
    }

    /** A task result with the wall time it took. */
    public record TaskRow(TaskResult result, double seconds) {}

    /** Perplexity of one text file (docs/protocols.md P). */
    public record PplRow(String file, double ppl, int windows, long tokens, int seqLen) {}

    /** Mean acc over the tasks (NaN when none). */
    public double meanAcc() {
        return tasks.stream().mapToDouble(t -> t.result().acc()).average().orElse(Double.NaN);
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT).put("version", VERSION).put("model", model);
        if (limit > 0) root.put("limit", limit); else root.putNull("limit");
        root.put("selection", selection);
        ArrayNode ts = root.putArray("tasks");
        for (TaskRow row : tasks) {
            TaskResult r = row.result();
            ObjectNode o = ts.addObject();
            o.put("task", r.task()).put("n", r.n());
            putNumber(o, "acc", r.acc());
            putNumber(o, "acc_stderr", r.accStderr());
            putNumber(o, "acc_norm", r.accNorm());
            putNumber(o, "acc_norm_stderr", r.accNormStderr());
            putNumber(o, "chance", r.chance());
            putNumber(o, "seconds", row.seconds());
        }
        putNumber(root, "mean_acc", meanAcc());
        ArrayNode ps = root.putArray("perplexity");
        for (PplRow p : perplexity) {
            ObjectNode o = ps.addObject();
            o.put("file", p.file());
            putNumber(o, "ppl", p.ppl());
            o.put("windows", p.windows()).put("tokens", p.tokens()).put("seq_len", p.seqLen());
        }
        return root;
    }

    /** NaN and infinities are not JSON: they become null. */
    private static void putNumber(ObjectNode o, String field, double v) {
        if (Double.isFinite(v)) o.put(field, v); else o.putNull(field);
    }

    public String toJsonString() {
        try {
            return JSON.writeValueAsString(toJson()) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads the JSON back (the report uses this); tolerant of missing optional fields. */
    public static EvalReport fromJson(JsonNode root, String source) {
        if (root == null || !root.isObject() || !FORMAT.equals(root.path("format").asText()))
            throw new BadInputException(source + ": field 'format' must be '" + FORMAT + "'");
        List<TaskRow> tasks = new ArrayList<>();
        for (JsonNode t : root.path("tasks")) {
            if (!t.path("task").isTextual()) throw new BadInputException(source + ": tasks[" + tasks.size() + "].task missing");
            tasks.add(new TaskRow(new TaskResult(t.get("task").asText(), t.path("n").asInt(0), num(t, "acc"), num(t, "acc_stderr"),
                    num(t, "acc_norm"), num(t, "acc_norm_stderr"), num(t, "chance")), num(t, "seconds")));
        }
        List<PplRow> ppl = new ArrayList<>();
        for (JsonNode p : root.path("perplexity")) {
            ppl.add(new PplRow(p.path("file").asText("?"), num(p, "ppl"), p.path("windows").asInt(0), p.path("tokens").asLong(0), p.path("seq_len").asInt(0)));
        }
        return new EvalReport(root.path("model").asText("?"), root.path("limit").asInt(0), root.path("selection").asText("?"), tasks, ppl);
    }

    private static double num(JsonNode o, String f) {
        JsonNode v = o.get(f);
        return v != null && v.isNumber() ? v.asDouble() : Double.NaN;
    }

    /** The human table printed on stdout. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        if (!tasks.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "%-14s %6s %8s %8s %9s %8s%n", "task", "n", "acc", "stderr", "acc_norm", "chance"));
            for (TaskRow row : tasks) {
                TaskResult r = row.result();
                sb.append(String.format(Locale.ROOT, "%-14s %6d %8.4f %8s %9s %8.4f%n", r.task(), r.n(), r.acc(), fmt(r.accStderr()),
                        fmt(r.accNorm()), r.chance()));
            }
            sb.append(String.format(Locale.ROOT, "%-14s %6s %8.4f%n", "mean acc", "", meanAcc()));
        }
        if (!perplexity.isEmpty()) {
            if (!tasks.isEmpty()) sb.append('\n');
            sb.append(String.format(Locale.ROOT, "%-40s %12s %8s %10s %7s%n", "perplexity file", "ppl", "windows", "tokens", "seq_len"));
            for (PplRow p : perplexity) {
                sb.append(String.format(Locale.ROOT, "%-40s %12.4f %8d %10d %7d%n", p.file(), p.ppl(), p.windows(), p.tokens(), p.seqLen()));
            }
        }
        return sb.toString();
    }

    private static String fmt(double v) { return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v); }
}
