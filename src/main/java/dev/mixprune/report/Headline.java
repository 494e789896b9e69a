package dev.mixprune.report;

import dev.mixprune.eval.zeroshot.EvalReport;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The comparison a reader looks for first: dense and each allocation (uniform, OWL, Fisher, MSP)
 * at one method and target, with achieved sparsity, perplexity, ratio to dense and mean zero-shot
 * accuracy, and one sentence of result computed from those numbers.
 *
 * @param method  pruning method of the compared rows
 * @param target  target sparsity of the compared rows
 * @param pattern "unstructured" or "nm:M" (from the manifest; "" when unknown)
 * @param dense   the dense row, or null when the run has none
 * @param rows    the pruned rows in allocation order (uniform, owl-reference, owl, fisher, msp, then others)
 * @param zeroShotTasks tasks behind the zero-shot means (0: none)
 */
record Headline(String method, double target, String pattern, Row dense, List<Row> rows, int zeroShotTasks) {

    /** One model. {@code zeroShot} is NaN without an eval file for it. */
    record Row(String allocation, double achieved, double ppl, double ratioToDense, double zeroShot) {}

    static final List<String> ORDER = List.of("uniform", "owl-reference", "owl", "fisher", "msp");

    /** Display name of an allocation. */
    static String label(String allocation) {
        return switch (allocation) {
            case "uniform" -> "uniform";
            case "owl" -> "OWL";
            case "owl-reference" -> "OWL (reference)";
            case "fisher" -> "Fisher";
            case "msp" -> "MSP";
            case "dense" -> "dense";
            default -> allocation;
        };
    }

    /** The headline of one run, or null when it has no results. */
    static Headline of(RunData run) {
        List<RunData.ResultRow> all = run.resultRows();
        if (all.isEmpty()) return null;
        RunData.ResultRow dense = all.stream().filter(RunData.ResultRow::isDense).findFirst().orElse(null);
        Map<String, List<RunData.ResultRow>> groups = new LinkedHashMap<>();
        for (RunData.ResultRow r : all) if (!r.isDense()) groups.computeIfAbsent(r.method() + "@" + r.target(), k -> new ArrayList<>()).add(r);
        if (groups.isEmpty() && dense == null) return null;
        String wantMethod = run.manifestText("method");
        double wantTarget = run.manifestJson().map(m -> m.path("target").asDouble(Double.NaN)).orElse(Double.NaN);
        List<RunData.ResultRow> chosen = groups.values().stream()
                .filter(g -> g.getFirst().method().equals(wantMethod) && Math.abs(g.getFirst().target() - wantTarget) < 1e-9).findFirst()
                .orElse(groups.values().stream().filter(g -> g.stream().anyMatch(r -> r.allocation().equals("msp"))).findFirst()
                        .orElse(groups.isEmpty() ? List.of() : groups.values().iterator().next()));
        Map<String, EvalReport> evals = new LinkedHashMap<>();
        for (Map.Entry<String, EvalReport> e : run.presentEvals()) evals.put(e.getKey(), e.getValue());
        double densePpl = dense == null ? Double.NaN : dense.ppl();
        List<Row> rows = new ArrayList<>();
        for (RunData.ResultRow r : chosen.stream().sorted(Comparator.comparingInt(Headline::order)).toList()) {
            rows.add(new Row(r.allocation(), r.achievedSparsity(), r.ppl(), r.ppl() / densePpl, meanAcc(evals.get(r.allocation()))));
        }
        Row d = dense == null ? null : new Row("dense", 0, dense.ppl(), 1.0, meanAcc(evals.get("dense")));
        int tasks = evals.values().stream().mapToInt(e -> e.tasks().size()).max().orElse(0);
        String method = chosen.isEmpty() ? "" : chosen.getFirst().method();
        double target = chosen.isEmpty() ? Double.NaN : chosen.getFirst().target();
        return new Headline(method, target, run.manifestText("pattern"), d, rows, tasks);
    }

    private static int order(RunData.ResultRow r) {
        int i = ORDER.indexOf(r.allocation());
        return i < 0 ? ORDER.size() : i;
    }

    private static double meanAcc(EvalReport e) { return e == null ? Double.NaN : e.meanAcc(); }

    /** The pruned row with the lowest perplexity, or null. */
    Row best() {
        return rows.stream().filter(r -> Double.isFinite(r.ppl())).min(Comparator.comparingDouble(Row::ppl)).orElse(null);
    }

    Row row(String allocation) {
        return rows.stream().filter(r -> r.allocation().equals(allocation)).findFirst().orElse(null);
    }

    /** "Wanda, 75% unstructured". */
    String settingText() {
        String p = pattern.isEmpty() || pattern.equals("unstructured") ? "unstructured" : "mixed N:M (" + pattern + ")";
        return methodName(method) + ", target " + HtmlReport.pct0(target) + " " + p;
    }

    static String methodName(String m) {
        return switch (m) {
            case "wanda" -> "Wanda";
            case "sparsegpt" -> "SparseGPT";
            case "magnitude" -> "magnitude";
            default -> m;
        };
    }

    /**
     * One sentence of result from the numbers: how MSP's perplexity compares with every other
     * allocation (lower or higher, by how much), at what sparsity, and the dense baseline; then the
     * zero-shot means when there are any.
     */
    String sentence() {
        if (rows.isEmpty()) return dense == null ? "" : "Dense perplexity " + ppl(dense.ppl()) + "; no pruned models in this run.";
        StringBuilder s = new StringBuilder();
        Row msp = row("msp");
        if (msp != null && Double.isFinite(msp.ppl()) && rows.size() > 1) {
            s.append("With ").append(methodName(method)).append(" at ").append(HtmlReport.pct2(msp.achieved())).append(" sparsity, MSP reaches perplexity ")
                    .append(ppl(msp.ppl())).append(": ");
            List<String> parts = new ArrayList<>();
            for (Row r : rows) {
                if (r == msp || !Double.isFinite(r.ppl())) continue;
                double ratio = r.ppl() / msp.ppl();
                parts.add(ratio >= 1 ? times(ratio) + " lower than " + label(r.allocation()) + " (" + ppl(r.ppl()) + ")"
                        : times(1 / ratio) + " higher than " + label(r.allocation()) + " (" + ppl(r.ppl()) + ")");
            }
            s.append(String.join(", ", parts));
            if (dense != null) s.append("; the dense model has ").append(ppl(dense.ppl()));
            s.append('.');
        } else {
            Row b = best();
            s.append("Lowest perplexity: ").append(label(b.allocation())).append(" with ").append(ppl(b.ppl())).append(" at ")
                    .append(HtmlReport.pct2(b.achieved())).append(" sparsity (").append(methodName(method)).append(")");
            if (dense != null) s.append("; dense ").append(ppl(dense.ppl()));
            s.append('.');
        }
        List<String> zs = new ArrayList<>();
        if (dense != null && Double.isFinite(dense.zeroShot())) zs.add("dense " + HtmlReport.pct(dense.zeroShot()));
        for (Row r : rows) if (Double.isFinite(r.zeroShot())) zs.add(label(r.allocation()) + " " + HtmlReport.pct(r.zeroShot()));
        if (!zs.isEmpty()) s.append(" Mean zero-shot accuracy over ").append(zeroShotTasks).append(zeroShotTasks == 1 ? " task: " : " tasks: ")
                .append(String.join(", ", zs)).append('.');
        return s.toString();
    }

    static String times(double r) { return String.format(Locale.ROOT, "%.2f×", r); }

    static String ppl(double v) {
        if (!Double.isFinite(v)) return "-";
        return v >= 1e4 ? String.format(Locale.ROOT, "%.4g", v) : String.format(Locale.ROOT, "%.2f", v);
    }
}
