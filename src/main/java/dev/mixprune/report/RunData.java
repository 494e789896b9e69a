package dev.mixprune.report;

import dev.mixprune.eval.zeroshot.EvalReport;

import java.util.List;
import java.util.Map;

/**
 * Everything the report shows, as read from a run directory (docs/report.md).
 *
 * @param runDir   the directory, as given
 * @param manifest run metadata: top-level fields of manifest.json as display strings, in file order
 * @param fisher   per-layer Fisher trace, layer name to trace, in layer order
 * @param plans    one per plan-*.json file (sorted by file name)
 * @param search   best (and optional mean) fitness per generation
 * @param results  pruning results rows
 * @param evals    one per eval.json / eval-*.json file (sorted by file name)
 * @param files    names of all files in the directory
 */
public record RunData(String runDir, Section<Map<String, String>> manifest, Section<Map<String, Double>> fisher,
                      List<Section<Plan>> plans, Section<SearchTrace> search, Section<List<ResultRow>> results,
                      List<Section<EvalReport>> evals, List<String> files) {

    public RunData {
        plans = List.copyOf(plans);
        evals = List.copyOf(evals);
        files = List.copyOf(files);
    }

    /** Per-layer nominal sparsity of one plan. */
    public record Plan(String name, Map<String, Double> layerSparsity, double overall) {}

    public record Generation(int generation, double bestFitness, double meanFitness) {}

    /** @param metric what fitness measures (e.g. "kl"), "fitness" when unknown */
    public record SearchTrace(String metric, List<Generation> generations) {
        public SearchTrace { generations = List.copyOf(generations); }
    }

    /** One pruned (or dense) model: ppl at an achieved sparsity. */
    public record ResultRow(String allocation, String method, double target, double achievedSparsity, double ppl, String dataset) {}
}
