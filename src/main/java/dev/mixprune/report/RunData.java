package dev.mixprune.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixprune.eval.zeroshot.EvalReport;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the report shows, as read from a run directory (docs/report.md).
 *
 * @param runDir   the directory, as given
 * @param manifest manifest.json as a JSON object (rendered as readable key/values)
 * @param fisher   per-layer Fisher traces with standard errors, in layer order
 * @param plans    one per plan-*.json file (sorted by file name)
 * @param search   best (and optional mean) fitness per generation
 * @param results  pruning results rows
 * @param evals    one per eval.json / eval-*.json file (eval.json first, then by name)
 * @param files    names of all files in the directory
 */
public record RunData(String runDir, Section<JsonNode> manifest, Section<Fisher> fisher, List<Section<Plan>> plans, Section<SearchTrace> search,
                      Section<List<ResultRow>> results, List<Section<EvalReport>> evals, List<String> files) {

    public RunData {
        plans = List.copyOf(plans);
        evals = List.copyOf(evals);
        files = List.copyOf(files);
    }

    /** The same data under another directory name (a run read from its staging directory, shown under its final path). */
    public RunData withRunDir(String dir) {
        return new RunData(dir, manifest, fisher, plans, search, results, evals, files);
    }

    /**
     * Per-layer Fisher traces.
     *
     * @param stdErrors standard error of each trace over windows (NaN when the file has none)
     * @param windows   windows the traces average over (0 when unknown)
     */
    public record Fisher(Map<String, Double> traces, Map<String, Double> stdErrors, int windows, int seqLen) {}

    /**
     * One plan.
     *
     * @param layerSparsity nominal sparsity of each layer's pattern
     * @param layerLabel    the pattern as written in a heatmap cell ("2:8", or the sparsity in percent)
     * @param overall       parameter-weighted sparsity of the plan (the plan's own accounting)
     */
    public record Plan(String name, Map<String, Double> layerSparsity, Map<String, String> layerLabel, double overall) {}

    public record Generation(int generation, double bestFitness, double meanFitness) {}

    /** @param metric what fitness measures ("kl", "ppl"), or "" when the file does not say */
    public record SearchTrace(String metric, List<Generation> generations) {
        public SearchTrace { generations = List.copyOf(generations); }
    }

    /** One pruned (or dense) model: ppl at an achieved sparsity. */
    public record ResultRow(String allocation, String method, double target, double achievedSparsity, double ppl, String dataset) {
        public boolean isDense() { return allocation.equals("dense") || (target == 0 && achievedSparsity == 0); }
    }

    /** The directory's own name ("wanda-0.75-unstructured"). */
    public String name() {
        Path p = Path.of(runDir).getFileName();
        return p == null ? runDir : p.toString();
    }

    public Optional<JsonNode> manifestJson() {
        return manifest instanceof Section.Present<JsonNode> p ? Optional.of(p.value()) : Optional.empty();
    }

    /** A text field of the manifest ("method", "pattern"), or "" when absent. */
    public String manifestText(String field) {
        return manifestJson().map(m -> m.path(field)).filter(JsonNode::isValueNode).map(JsonNode::asText).orElse("");
    }

    public List<ResultRow> resultRows() {
        return results instanceof Section.Present<List<ResultRow>> p ? p.value() : List.of();
    }

    public List<Plan> presentPlans() {
        return plans.stream().filter(s -> s instanceof Section.Present<Plan>).map(s -> ((Section.Present<Plan>) s).value()).toList();
    }

    /** Readable eval files with their labels (eval.json -> "eval", eval-msp.json -> "msp"). */
    public List<Map.Entry<String, EvalReport>> presentEvals() {
        return evals.stream().filter(s -> s instanceof Section.Present<EvalReport>)
                .map(s -> Map.entry(evalLabel(((Section.Present<EvalReport>) s).file()), ((Section.Present<EvalReport>) s).value())).toList();
    }

    /** "eval.json" -> "eval", "eval-msp.json" -> "msp". */
    static String evalLabel(String file) {
        String stem = file.endsWith(".json") ? file.substring(0, file.length() - 5) : file;
        return stem.startsWith("eval-") && stem.length() > 5 ? stem.substring(5) : stem;
    }
}
