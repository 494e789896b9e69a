package dev.mixprune.report;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.BadInputException;
import dev.mixprune.eval.zeroshot.EvalReport;
import dev.mixprune.model.LayerId;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.SparsityPlan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads a run directory (contract in docs/report.md). Every file is optional; a file that cannot
 * be read becomes a {@link Section.Broken} with the reason, so one bad file never hides the rest.
 */
public final class RunDirectory {
    private RunDirectory() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    public static RunData read(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir.toString(), null, "run directory not found");
        List<String> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        }
        List<Section<RunData.Plan>> plans = new ArrayList<>();
        List<Section<EvalReport>> evals = new ArrayList<>();
        List<String> ordered = new ArrayList<>(files);
        ordered.sort(java.util.Comparator.comparing((String f) -> !f.equals("eval.json")));  // eval.json first, then by name
        for (String f : ordered) {
            if (f.startsWith("plan-") && f.endsWith(".json")) plans.add(section(dir, f, RunDirectory::plan));
            if ((f.equals("eval.json") || f.startsWith("eval-")) && f.endsWith(".json")) evals.add(section(dir, f, (n, p) -> EvalReport.fromJson(n, p.toString())));
        }
        return new RunData(dir.toString(), section(dir, "manifest.json", (root, file) -> root), section(dir, "fisher.json", RunDirectory::fisher),
                plans, section(dir, "search-trace.json", RunDirectory::search), section(dir, "results.json", RunDirectory::results), evals, files);
    }

    @FunctionalInterface
    private interface Parser<T> { T parse(JsonNode root, Path file); }

    private static <T> Section<T> section(Path dir, String name, Parser<T> parser) {
        Path file = dir.resolve(name);
        if (!Files.exists(file)) return new Section.Missing<>(name);
        try {
            JsonNode root = JSON.readTree(Files.readAllBytes(file));
            if (root == null || !root.isObject()) return new Section.Broken<>(name, "expected a JSON object");
            return new Section.Present<>(name, parser.parse(root, file));
        } catch (JacksonException e) {
            return new Section.Broken<>(name, "not valid JSON: " + e.getOriginalMessage());
        } catch (BadInputException | IllegalArgumentException | IOException e) {
            return new Section.Broken<>(name, e.getMessage());
        }
    }

    /**
     * fisher.json: {"format": "mixprune.fisher", "layers": {name: trace}} or, as allocate.FisherReport
     * writes it, {"layers": {name: {"trace": t, ...}}}; layers in LayerId order when names parse.
     */
    static RunData.Fisher fisher(JsonNode root, Path file) {
        requireFormat(root, file, "mixprune.fisher");
        JsonNode layers = root.path("layers");
        if (!layers.isObject() || layers.isEmpty()) throw BadInputException.in(file, "field 'layers' must be a non-empty object of layer name -> trace or {trace}");
        List<String> names = new ArrayList<>();
        layers.fieldNames().forEachRemaining(names::add);
        sortLayerNames(names);
        Map<String, Double> m = new LinkedHashMap<>(), se = new LinkedHashMap<>();
        for (String n : names) {
            JsonNode v = layers.get(n);
            double err = v.isObject() ? num(v, "stderr") : Double.NaN;
            if (v.isObject()) v = v.path("trace");
            if (!v.isNumber()) throw BadInputException.in(file, "layers." + n + " must be a number or an object with a numeric 'trace', got " + layers.get(n));
            m.put(n, v.asDouble());
            se.put(n, err);
        }
        return new RunData.Fisher(m, se, root.path("windows").asInt(0), root.path("seqlen").asInt(0));
    }

    static RunData.Plan plan(JsonNode root, Path file) {
        SparsityPlan plan = SparsityPlan.fromJson(root, file.toString());
        Map<String, Double> m = new LinkedHashMap<>();
        Map<String, String> labels = new LinkedHashMap<>();
        double pruned = 0, total = 0;
        for (Map.Entry<LayerId, Pattern> e : plan.layers().entrySet()) {
            LayerId id = e.getKey();
            m.put(id.name(), e.getValue().nominalSparsity());
            labels.put(id.name(), e.getValue() instanceof Pattern.NM nm ? nm.text()
                    : String.format(java.util.Locale.ROOT, "%.1f", 100 * e.getValue().nominalSparsity()));
            int rows = rows(plan.shape(), id), cols = cols(plan.shape(), id);
            pruned += e.getValue().prunedCount(rows, cols);
            total += (double) rows * cols;
        }
        String fname = file.getFileName().toString();
        String name = root.hasNonNull("allocation") ? plan.allocation() : fname.substring(5, fname.length() - 5);
        return new RunData.Plan(name, m, labels, total > 0 ? pruned / total : Double.NaN);
    }

    private static int rows(SparsityPlan.ModelShape s, LayerId id) { return s.rows(id.kind()); }

    private static int cols(SparsityPlan.ModelShape s, LayerId id) { return s.cols(id.kind()); }

    /** search-trace.json: {"metric"?: "kl", "generations": [{"generation", "best_fitness", "mean_fitness"?}]} */
    static RunData.SearchTrace search(JsonNode root, Path file) {
        JsonNode gens = root.path("generations");
        if (!gens.isArray()) throw BadInputException.in(file, "field 'generations' must be an array");
        List<RunData.Generation> out = new ArrayList<>();
        int i = 0;
        for (JsonNode g : gens) {
            if (!g.path("best_fitness").isNumber()) throw BadInputException.in(file, "generations[" + i + "].best_fitness must be a number");
            out.add(new RunData.Generation(g.path("generation").asInt(i), g.get("best_fitness").asDouble(), num(g, "mean_fitness")));
            i++;
        }
        return new RunData.SearchTrace(root.path("metric").asText(""), out);
    }

    /** results.json: {"rows": [{allocation, method, target, achieved_sparsity, ppl, dataset?}]} */
    static List<RunData.ResultRow> results(JsonNode root, Path file) {
        JsonNode rows = root.path("rows");
        if (!rows.isArray()) throw BadInputException.in(file, "field 'rows' must be an array");
        List<RunData.ResultRow> out = new ArrayList<>();
        int i = 0;
        for (JsonNode r : rows) {
            if (!r.path("ppl").isNumber()) throw BadInputException.in(file, "rows[" + i + "].ppl must be a number");
            out.add(new RunData.ResultRow(r.path("allocation").asText("?"), r.path("method").asText("?"), num(r, "target"),
                    num(r, "achieved_sparsity"), r.get("ppl").asDouble(), r.path("dataset").asText("")));
            i++;
        }
        return out;
    }

    private static void requireFormat(JsonNode root, Path file, String format) {
        JsonNode f = root.get("format");
        if (f != null && !format.equals(f.asText())) throw BadInputException.in(file, "field 'format' must be '" + format + "', got '" + f.asText() + "'");
    }

    private static double num(JsonNode o, String f) {
        JsonNode v = o.get(f);
        return v != null && v.isNumber() ? v.asDouble() : Double.NaN;
    }

    /** LayerId order (block, then kind) when every name parses; otherwise leave the file order. */
    static void sortLayerNames(List<String> names) {
        Map<String, LayerId> ids = new LinkedHashMap<>();
        for (String n : names) {
            try {
                ids.put(n, LayerId.parse(n));
            } catch (RuntimeException notALayerName) {
                return; // block-level or custom names: keep the file's order
            }
        }
        names.sort((a, b) -> ids.get(a).compareTo(ids.get(b)));
    }
}
