package dev.mixprune.eval.zeroshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code mixprune eval} measured: zero-shot accuracies and perplexities of one model.
 *
 * <p>Written as lm-evaluation-harness's results JSON (what {@code lm_eval --output_path} saves;
 * docs/evaluation.md), so tools that read lm-eval results read ours: {@code results.<task>} holds
 * {@code "acc,none"}, {@code "acc_stderr,none"}, {@code "acc_norm,none"},
 * {@code "acc_norm_stderr,none"} (tasks with acc_norm) and {@code alias}; {@code n-samples.<task>}
 * the documents in the task ({@code original}) and scored ({@code effective}); {@code configs},
 * {@code versions}, {@code n-shot}, {@code higher_is_better}, {@code group_subtasks} per task; a
 * {@code config} block (model, model_args, limit, ...). What lm-eval has no field for (chance
 * level, time per task, perplexities, document selection) is under {@code mixprune}.
 *
 * <p>{@link #fromJson} reads that layout, also as lm-eval itself writes it (groups, {@code "N/A"}
 * standard errors, extra keys), and the older {@code mixprune.eval} version 1 files.
 *
 * @param model      model file as given
 * @param modelArgs  lm-eval's {@code config.model_args}: "pretrained=PATH,..." (how the model was loaded and scored)
 * @param limit      --limit (a count, a fraction, or none)
 * @param selection  how a limit picks documents ("harness-shuffle" or "file-order")
 * @param tasks      one row per task, in the order run
 * @param perplexity one row per --ppl file
 * @param date       Unix time the evaluation started (lm-eval's {@code date}), NaN when unknown
 * @param seconds    total wall time, NaN when unknown
 */
public record EvalReport(String model, String modelArgs, EvalLimit limit, String selection, List<TaskRow> tasks, List<PplRow> perplexity,
                         double date, double seconds) {
    /** Format name and version under the {@code mixprune} key (version 1 was the pre-lm-eval layout). */
    public static final String FORMAT = "mixprune.eval";
    public static final int VERSION = 2;

    public EvalReport {
        tasks = List.copyOf(tasks);
        perplexity = List.copyOf(perplexity);
    }

    /** Without timing (tests, and the run command's per-allocation files). */
    public EvalReport(String model, EvalLimit limit, String selection, List<TaskRow> tasks, List<PplRow> perplexity) {
        this(model, "pretrained=" + model, limit, selection, tasks, perplexity, Double.NaN, Double.NaN);
    }

    /**
     * A task result.
     *
     * @param original documents in the task (lm-eval's {@code n-samples.original}); 0 when unknown
     * @param seconds  wall time of the task, NaN when unknown
     */
    public record TaskRow(TaskResult result, int original, double seconds) {}

    /** Perplexity of one text file (docs/protocols.md P). */
    public record PplRow(String file, double ppl, int windows, long tokens, int seqLen) {}

    /** Mean acc over the tasks (NaN when none). */
    public double meanAcc() {
        return tasks.stream().mapToDouble(t -> t.result().acc()).average().orElse(Double.NaN);
    }

    public TaskResult task(String name) {
        for (TaskRow t : tasks) if (t.result().task().equals(name)) return t.result();
        return null;
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode results = root.putObject("results");
        for (TaskRow row : tasks) {
            TaskResult r = row.result();
            ObjectNode o = results.putObject(r.task());
            o.put("alias", r.task());
            putMetric(o, "acc,none", r.acc());
            putStderr(o, "acc_stderr,none", r.accStderr());
            if (r.hasAccNorm()) {
                putMetric(o, "acc_norm,none", r.accNorm());
                putStderr(o, "acc_norm_stderr,none", r.accNormStderr());
            }
        }
        ObjectNode subtasks = root.putObject("group_subtasks");
        for (TaskRow row : tasks) subtasks.putArray(row.result().task());
        ObjectNode configs = root.putObject("configs");
        ObjectNode versions = root.putObject("versions");
        ObjectNode nShot = root.putObject("n-shot");
        ObjectNode better = root.putObject("higher_is_better");
        ObjectNode nSamples = root.putObject("n-samples");
        for (TaskRow row : tasks.stream().sorted(java.util.Comparator.comparing((TaskRow t) -> t.result().task())).toList()) {
            String name = row.result().task();
            ZeroShotTask task = known(name);
            if (task != null) {
                configs.set(name, harnessConfig(task));
                versions.put(name, task.harnessConfig().version());
            } else {
                configs.putObject(name).put("task", name);
                versions.putNull(name);
            }
            nShot.put(name, 0);
            ObjectNode hib = better.putObject(name).put("acc", true);
            if (row.result().hasAccNorm()) hib.put("acc_norm", true);
        }
        for (TaskRow row : tasks) {
            nSamples.putObject(row.result().task()).put("original", row.original() > 0 ? row.original() : row.result().n())
                    .put("effective", row.result().n());
        }
        ObjectNode config = root.putObject("config");
        config.put("model", "mixprune");
        config.put("model_args", modelArgs);
        config.put("batch_size", "auto");
        config.putArray("batch_sizes");
        config.put("device", "cpu");
        config.putNull("use_cache");
        Number lim = limit.jsonValue();
        if (lim == null) config.putNull("limit");
        else if (lim instanceof Integer i) config.put("limit", i);
        else config.put("limit", lim.doubleValue());
        config.putNull("gen_kwargs");
        // The only randomness is which documents a limit takes: df3da98's random.Random(42) shuffle.
        if (!limit.isNone() && selection.equals("harness-shuffle")) config.put("random_seed", 42); else config.putNull("random_seed");
        config.putNull("numpy_seed");
        config.putNull("torch_seed");
        config.putNull("fewshot_seed");
        if (Double.isFinite(date)) root.put("date", date);
        root.put("model_source", "mixprune");
        root.put("model_name", model);
        root.put("model_name_sanitized", model.replaceAll("[\"<>:/|\\\\?*\\[\\]]+", "__"));
        if (Double.isFinite(seconds)) root.put("total_evaluation_time_seconds", String.format(Locale.ROOT, "%.2f", seconds));

        ObjectNode mp = root.putObject("mixprune");
        mp.put("format", FORMAT).put("version", VERSION).put("model", model);
        mp.put("limit", limit.toString()).put("selection", selection);
        ObjectNode per = mp.putObject("tasks");
        for (TaskRow row : tasks) {
            ObjectNode o = per.putObject(row.result().task());
            putNumber(o, "chance", row.result().chance());
            putNumber(o, "seconds", row.seconds());
        }
        putNumber(mp, "mean_acc", meanAcc());
        ArrayNode ps = mp.putArray("perplexity");
        for (PplRow p : perplexity) {
            ObjectNode o = ps.addObject();
            o.put("file", p.file());
            putNumber(o, "ppl", p.ppl());
            o.put("windows", p.windows()).put("tokens", p.tokens()).put("seq_len", p.seqLen());
        }
        return root;
    }

    private static ZeroShotTask known(String name) {
        for (ZeroShotTask t : ZeroShotTask.values()) if (t.id().equals(name)) return t;
        return null;
    }

    /** The keys of lm-eval's dumped TaskConfig that describe what was scored. */
    private static ObjectNode harnessConfig(ZeroShotTask t) {
        ZeroShotTask.HarnessConfig h = t.harnessConfig();
        ObjectNode c = JSON.createObjectNode();
        c.put("task", t.id());
        c.put("dataset_path", h.datasetPath());
        if (h.datasetName() == null) c.putNull("dataset_name"); else c.put("dataset_name", h.datasetName());
        c.put(h.split().equals("test") ? "test_split" : "validation_split", h.split());
        c.put("doc_to_text", h.docToText());
        c.put("doc_to_target", h.docToTarget());
        c.put("doc_to_choice", h.docToChoice());
        c.put("description", "");
        c.put("target_delimiter", ZeroShotTask.DELIMITER);
        c.put("fewshot_delimiter", "\n\n");
        c.put("num_fewshot", 0);
        ArrayNode metrics = c.putArray("metric_list");
        metrics.addObject().put("metric", "acc").put("aggregation", "mean").put("higher_is_better", true);
        if (t.hasAccNorm()) metrics.addObject().put("metric", "acc_norm").put("aggregation", "mean").put("higher_is_better", true);
        c.put("output_type", "multiple_choice");
        c.put("repeats", 1);
        c.put("should_decontaminate", false);
        c.putObject("metadata").put("version", h.version());
        return c;
    }

    /** NaN and infinities are not JSON: they become null. */
    private static void putNumber(ObjectNode o, String field, double v) {
        if (Double.isFinite(v)) o.put(field, v); else o.putNull(field);
    }

    private static void putMetric(ObjectNode o, String field, double v) { putNumber(o, field, v); }

    /** lm-eval writes "N/A" where it has no standard error (one document). */
    private static void putStderr(ObjectNode o, String field, double v) {
        if (Double.isFinite(v)) o.put(field, v); else o.put(field, "N/A");
    }

    public String toJsonString() {
        try {
            return JSON.writeValueAsString(toJson()) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads an lm-eval results file (ours or lm-eval's own) or a {@code mixprune.eval} version 1
     * file. Per task: {@code results.<task>["acc,none"]} (required, a number),
     * {@code "acc_stderr,none"}, {@code "acc_norm,none"}, {@code "acc_norm_stderr,none"} (numbers;
     * "N/A" or absent is NaN); n from {@code n-samples.<task>.effective}, else the result's
     * {@code sample_len} or {@code samples}; the chance level from {@code mixprune.tasks} when
     * present. Entries without {@code acc,none} (e.g. groups of other metrics) are skipped.
     */
    public static EvalReport fromJson(JsonNode root, String source) {
        if (root == null || !root.isObject()) throw new BadInputException(source + ": expected a JSON object");
        if (!root.has("results") && FORMAT.equals(root.path("format").asText())) return fromVersion1(root, source);
        JsonNode results = root.get("results");
        if (results == null || !results.isObject()) {
            throw new BadInputException(source + ": field 'results' must be an object of task name -> metrics (lm-evaluation-harness layout)");
        }
        JsonNode mp = root.path("mixprune");
        JsonNode config = root.path("config");
        List<TaskRow> tasks = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = results.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode r = e.getValue();
            if (!r.isObject()) throw new BadInputException(source + ": results." + name + " must be an object");
            JsonNode acc = r.get("acc,none");
            if (acc == null) continue;
            if (!acc.isNumber()) throw new BadInputException(source + ": results." + name + "[\"acc,none\"] must be a number, got " + acc);
            JsonNode ns = root.path("n-samples").path(name);
            int n = ns.path("effective").isNumber() ? ns.get("effective").asInt()
                    : r.path("sample_len").isNumber() ? r.get("sample_len").asInt() : r.path("samples").asInt(0);
            int original = ns.path("original").isNumber() ? ns.get("original").asInt() : n;
            JsonNode extra = mp.path("tasks").path(name);
            tasks.add(new TaskRow(new TaskResult(name, n, acc.asDouble(), num(r, "acc_stderr,none"), num(r, "acc_norm,none"),
                    num(r, "acc_norm_stderr,none"), num(extra, "chance")), original, num(extra, "seconds")));
        }
        List<PplRow> ppl = new ArrayList<>();
        for (JsonNode p : mp.path("perplexity")) {
            ppl.add(new PplRow(p.path("file").asText("?"), num(p, "ppl"), p.path("windows").asInt(0), p.path("tokens").asLong(0), p.path("seq_len").asInt(0)));
        }
        String modelArgs = config.path("model_args").isTextual() ? config.get("model_args").asText()
                : config.path("model_args").isObject() ? config.get("model_args").toString() : "";
        String model = mp.path("model").isTextual() ? mp.get("model").asText() : pretrained(modelArgs, config.path("model").asText("?"));
        EvalLimit limit;
        try {
            limit = mp.path("limit").isTextual() ? EvalLimit.parse(mp.get("limit").asText())
                    : config.path("limit").isNumber() ? EvalLimit.parse(config.get("limit").asText()) : EvalLimit.NONE;
        } catch (IllegalArgumentException bad) {
            throw new BadInputException(source + ": config.limit: " + bad.getMessage());
        }
        String selection = mp.path("selection").asText(limit.isNone() ? "all" : "file-order");
        double seconds = root.path("total_evaluation_time_seconds").isValueNode()
                ? parseOrNaN(root.get("total_evaluation_time_seconds").asText()) : Double.NaN;
        return new EvalReport(model, modelArgs, limit, selection, tasks, ppl, num(root, "date"), seconds);
    }

    /** "pretrained=PATH,dtype=..." -> PATH; otherwise the fallback. */
    private static String pretrained(String modelArgs, String fallback) {
        for (String kv : modelArgs.split(",")) {
            String t = kv.trim();
            if (t.startsWith("pretrained=")) return t.substring("pretrained=".length());
        }
        return fallback;
    }

    private static double parseOrNaN(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** The pre-lm-eval layout: {"format": "mixprune.eval", "version": 1, "tasks": [{task, n, acc, ...}], ...}. */
    private static EvalReport fromVersion1(JsonNode root, String source) {
        List<TaskRow> tasks = new ArrayList<>();
        for (JsonNode t : root.path("tasks")) {
            if (!t.path("task").isTextual()) throw new BadInputException(source + ": tasks[" + tasks.size() + "].task missing");
            int n = t.path("n").asInt(0);
            tasks.add(new TaskRow(new TaskResult(t.get("task").asText(), n, num(t, "acc"), num(t, "acc_stderr"),
                    num(t, "acc_norm"), num(t, "acc_norm_stderr"), num(t, "chance")), n, num(t, "seconds")));
        }
        List<PplRow> ppl = new ArrayList<>();
        for (JsonNode p : root.path("perplexity")) {
            ppl.add(new PplRow(p.path("file").asText("?"), num(p, "ppl"), p.path("windows").asInt(0), p.path("tokens").asLong(0), p.path("seq_len").asInt(0)));
        }
        String model = root.path("model").asText("?");
        return new EvalReport(model, "pretrained=" + model, EvalLimit.ofCount(root.path("limit").asInt(0)), root.path("selection").asText("?"),
                tasks, ppl, Double.NaN, Double.NaN);
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
                sb.append(String.format(Locale.ROOT, "%-14s %6d %8.4f %8s %9s %8s%n", r.task(), r.n(), r.acc(), fmt(r.accStderr()),
                        fmt(r.accNorm()), fmt(r.chance())));
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
