package dev.mixprune.report;

import dev.mixprune.eval.zeroshot.EvalReport;
import dev.mixprune.eval.zeroshot.TaskResult;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Renders a {@link RunData} as one self-contained HTML page: inline CSS and SVG, no scripts, no
 * network. Sections: run metadata, Fisher sensitivity, per-layer sparsity of the plans, search
 * convergence, perplexity against sparsity, zero-shot accuracy. A section whose input is missing
 * or unreadable says so instead of a chart. The output depends only on the input (no timestamps).
 */
public final class HtmlReport {
    private HtmlReport() {}

    /** Plans with more layers than this are drawn as lines instead of grouped bars. */
    static final int MAX_GROUPED_LAYERS = 64;

    private static final String CSS = """
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto; max-width: 900px; color: #222; }
            h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 1.8em; }
            .sub { color: #666; margin-top: 0; } .missing { color: #8a6d00; background: #fff8e1; padding: 6px 10px; }
            .broken { color: #a00; background: #fdecea; padding: 6px 10px; } .caption { color: #555; font-size: 0.9em; }
            table.data { border-collapse: collapse; margin: 8px 0; font-size: 0.9em; } table.data th, table.data td { border: 1px solid #ddd; padding: 3px 8px; }
            table.data th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
            table.kv td { overflow-wrap: anywhere; max-width: 720px; vertical-align: top; } table.kv th { text-align: left; }
            svg.chart { display: block; margin: 8px 0; background: #fff; border: 1px solid #eee; }
            svg .grid { stroke: #eee; } svg .axis { stroke: #444; } svg .ref { stroke-dasharray: 6 4; stroke-width: 1.5; }
            svg text { font-size: 11px; fill: #333; } svg .ctitle { font-size: 14px; font-weight: 600; } svg .atitle { font-size: 12px; }
            svg .legend { font-size: 11px; } svg .note, svg .nodata { fill: #888; font-style: italic; }
            """;

    public static String render(RunData run) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>mixprune report: ")
                .append(Svg.esc(run.runDir())).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        b.append("<h1>mixprune report</h1>\n<p class=\"sub\">run directory <code>").append(Svg.esc(run.runDir())).append("</code></p>\n");
        metadata(b, run);
        fisher(b, run);
        plans(b, run);
        search(b, run);
        perplexity(b, run);
        zeroShot(b, run);
        b.append("</body>\n</html>\n");
        return b.toString();
    }

    private static void open(StringBuilder b, String id, String title) {
        b.append("<section id=\"sec-").append(id).append("\">\n<h2>").append(Svg.esc(title)).append("</h2>\n");
    }

    private static void close(StringBuilder b) { b.append("</section>\n"); }

    /** Missing/broken notice; returns true when the section has its data. */
    private static boolean notice(StringBuilder b, Section<?> s, String writtenBy) {
        switch (s) {
            case Section.Missing<?> m -> b.append("<p class=\"missing\">Not in this run: no <code>").append(Svg.esc(m.file()))
                    .append("</code> (written by ").append(Svg.esc(writtenBy)).append(").</p>\n");
            case Section.Broken<?> x -> b.append("<p class=\"broken\"><code>").append(Svg.esc(x.file())).append("</code> could not be read: ")
                    .append(Svg.esc(x.error())).append("</p>\n");
            case Section.Present<?> p -> { return true; }
        }
        return false;
    }

    private static void metadata(StringBuilder b, RunData run) {
        open(b, "metadata", "Run metadata");
        if (notice(b, run.manifest(), "the run command")) {
            Map<String, String> m = ((Section.Present<Map<String, String>>) run.manifest()).value();
            List<List<String>> rows = new ArrayList<>();
            m.forEach((k, v) -> rows.add(List.of(k, v)));
            b.append(new HtmlTable("manifest", List.of("field", "value"), rows, false).html());
        }
        b.append("<p class=\"caption\">Files: ").append(Svg.esc(run.files().isEmpty() ? "(none)" : String.join(", ", run.files()))).append("</p>\n");
        close(b);
    }

    private static void fisher(StringBuilder b, RunData run) {
        open(b, "fisher", "Per-layer Fisher sensitivity");
        if (notice(b, run.fisher(), "mixprune fisher")) {
            Map<String, Double> f = ((Section.Present<Map<String, Double>>) run.fisher()).value();
            List<String> names = new ArrayList<>(f.keySet());
            double[] v = f.values().stream().mapToDouble(Double::doubleValue).toArray();
            boolean positive = f.values().stream().allMatch(x -> x > 0);
            b.append(GroupedBarChart.bars("fisher", "Fisher trace per prunable layer", "layer", positive ? "Fisher trace (log scale)" : "Fisher trace",
                    names, v, positive).svg());
            b.append("<p class=\"caption\">Empirical Fisher trace per layer (docs/protocols.md F): larger means pruning the layer costs more. ")
                    .append(names.size()).append(" layers.</p>\n");
        }
        close(b);
    }

    private static void plans(StringBuilder b, RunData run) {
        open(b, "plans", "Per-layer sparsity of the plans");
        if (run.plans().isEmpty()) {
            b.append("<p class=\"missing\">Not in this run: no <code>plan-*.json</code> (written by mixprune search --out RUN_DIR/plan-msp.json, or any allocator saving a SparsityPlan).</p>\n");
            close(b);
            return;
        }
        List<RunData.Plan> ok = new ArrayList<>();
        for (Section<RunData.Plan> s : run.plans()) if (notice(b, s, "")) ok.add(((Section.Present<RunData.Plan>) s).value());
        if (!ok.isEmpty()) {
            Set<String> layerSet = new LinkedHashSet<>();
            for (RunData.Plan p : ok) layerSet.addAll(p.layerSparsity().keySet());
            List<String> layers = new ArrayList<>(layerSet);
            RunDirectory.sortLayerNames(layers);
            List<String> names = new ArrayList<>();
            double[][] v = new double[ok.size()][layers.size()];
            for (int i = 0; i < ok.size(); i++) {
                RunData.Plan p = ok.get(i);
                names.add(p.name() + " (" + pct(p.overall()) + ")");
                for (int j = 0; j < layers.size(); j++) v[i][j] = 100 * p.layerSparsity().getOrDefault(layers.get(j), Double.NaN);
            }
            if (layers.size() <= MAX_GROUPED_LAYERS) {
                b.append(new GroupedBarChart("plans", "Sparsity per layer by allocation", "layer", "sparsity (%)", layers, names, v, false, true,
                        Double.NaN, null).svg());
            } else {
                List<LineChart.Series> series = new ArrayList<>();
                for (int i = 0; i < ok.size(); i++) {
                    List<LineChart.Point> pts = new ArrayList<>();
                    for (int j = 0; j < layers.size(); j++) pts.add(new LineChart.Point(j, v[i][j], layers.get(j)));
                    series.add(new LineChart.Series(names.get(i), pts));
                }
                b.append(new LineChart("plans", "Sparsity per layer by allocation", "layer index (block-major, 7 per block)", "sparsity (%)", series, false).svg());
            }
            b.append("<p class=\"caption\">Nominal sparsity of each layer's pattern; the legend gives each plan's parameter-weighted overall sparsity.</p>\n");
        }
        close(b);
    }

    private static void search(StringBuilder b, RunData run) {
        open(b, "search", "Search convergence");
        if (notice(b, run.search(), "mixprune search")) {
            RunData.SearchTrace t = ((Section.Present<RunData.SearchTrace>) run.search()).value();
            List<LineChart.Point> best = new ArrayList<>(), mean = new ArrayList<>();
            for (RunData.Generation g : t.generations()) {
                best.add(new LineChart.Point(g.generation(), g.bestFitness()));
                if (!Double.isNaN(g.meanFitness())) mean.add(new LineChart.Point(g.generation(), g.meanFitness()));
            }
            List<LineChart.Series> series = new ArrayList<>(List.of(new LineChart.Series("best " + t.metric(), best)));
            if (!mean.isEmpty()) series.add(new LineChart.Series("population mean " + t.metric(), mean));
            b.append(new LineChart("search", "Best fitness per generation", "generation", t.metric() + " (lower is better)", series, false).svg());
            b.append("<p class=\"caption\">").append(t.generations().size()).append(" generations.</p>\n");
        }
        close(b);
    }

    private static void perplexity(StringBuilder b, RunData run) {
        open(b, "perplexity", "Perplexity against sparsity");
        if (notice(b, run.results(), "mixprune prune / run")) {
            List<RunData.ResultRow> rows = ((Section.Present<List<RunData.ResultRow>>) run.results()).value();
            Map<String, List<LineChart.Point>> bySeries = new LinkedHashMap<>();
            for (RunData.ResultRow r : rows) {
                double x = Double.isNaN(r.achievedSparsity()) ? r.target() : r.achievedSparsity();
                String key = r.allocation() + " / " + r.method() + (r.dataset().isEmpty() ? "" : " / " + r.dataset());
                bySeries.computeIfAbsent(key, k -> new ArrayList<>()).add(new LineChart.Point(100 * x, r.ppl(), "target " + pct(r.target())));
            }
            List<LineChart.Series> series = new ArrayList<>();
            bySeries.forEach((k, v) -> series.add(new LineChart.Series(k, v)));
            boolean positive = rows.stream().anyMatch(r -> r.ppl() > 0);
            b.append(new LineChart("perplexity", "Perplexity by allocation and method", "achieved sparsity of the prunable layers (%)",
                    "perplexity (log scale)", series, positive).svg());
            boolean datasets = rows.stream().anyMatch(r -> !r.dataset().isEmpty());
            List<List<String>> cells = new ArrayList<>();
            for (RunData.ResultRow r : rows) {
                List<String> c = new ArrayList<>(List.of(r.allocation(), r.method()));
                if (datasets) c.add(r.dataset());
                c.addAll(List.of(pct(r.target()), pct2(r.achievedSparsity()), ppl(r.ppl())));
                cells.add(c);
            }
            List<String> headers = new ArrayList<>(List.of("allocation", "method"));
            if (datasets) headers.add("dataset");
            headers.addAll(List.of("target", "achieved sparsity", "perplexity"));
            b.append(new HtmlTable("results", headers, cells).html());
        }
        close(b);
    }

    private static void zeroShot(StringBuilder b, RunData run) {
        open(b, "zeroshot", "Zero-shot accuracy");
        if (run.evals().isEmpty()) {
            b.append("<p class=\"missing\">Not in this run: no <code>eval.json</code> or <code>eval-*.json</code> (written by mixprune eval --out).</p>\n");
            close(b);
            return;
        }
        List<String> labels = new ArrayList<>();
        List<EvalReport> ok = new ArrayList<>();
        for (Section<EvalReport> s : run.evals()) {
            if (notice(b, s, "")) {
                Section.Present<EvalReport> p = (Section.Present<EvalReport>) s;
                ok.add(p.value());
                labels.add(evalLabel(p.file()));
            }
        }
        if (ok.isEmpty()) { close(b); return; }
        Set<String> taskSet = new LinkedHashSet<>();
        for (EvalReport e : ok) for (EvalReport.TaskRow t : e.tasks()) taskSet.add(t.result().task());
        List<String> tasks = new ArrayList<>(taskSet);
        List<String> headers = new ArrayList<>(List.of("task", "chance"));
        for (String l : labels) { headers.add(l + " n"); headers.add(l + " acc"); headers.add(l + " acc_norm"); }
        List<List<String>> cells = new ArrayList<>();
        double[][] acc = new double[ok.size() + 1][tasks.size()];
        for (int j = 0; j < tasks.size(); j++) {
            List<String> row = new ArrayList<>(List.of(tasks.get(j), ""));
            double chance = Double.NaN;
            for (int i = 0; i < ok.size(); i++) {
                TaskResult r = find(ok.get(i), tasks.get(j));
                acc[i][j] = r == null ? Double.NaN : 100 * r.acc();
                if (r != null && Double.isNaN(chance)) chance = r.chance();
                row.add(r == null ? "" : String.valueOf(r.n()));
                row.add(r == null ? "" : pct(r.acc()) + (Double.isNaN(r.accStderr()) ? "" : " ± " + String.format(Locale.ROOT, "%.1f", 100 * r.accStderr())));
                row.add(r == null ? "" : !r.hasAccNorm() ? "-" : pct(r.accNorm()));
            }
            row.set(1, pct(chance));
            acc[ok.size()][j] = 100 * chance;
            cells.add(row);
        }
        b.append(new HtmlTable("zeroshot", headers, cells).html());
        List<String> series = new ArrayList<>(labels);
        series.add("chance");
        b.append(new GroupedBarChart("zeroshot", "Zero-shot accuracy (acc) per task", "task", "accuracy (%)", tasks, series, acc, false, true,
                Double.NaN, null).svg());
        for (int i = 0; i < ok.size(); i++) {
            EvalReport e = ok.get(i);
            b.append("<p class=\"caption\">").append(Svg.esc(labels.get(i))).append(": model <code>").append(Svg.esc(e.model())).append("</code>, ")
                    .append(!e.limit().isNone() ? "limit " + e.limit() + " (" + Svg.esc(e.selection()) + ")" : "all documents")
                    .append(", mean acc ").append(pct(e.meanAcc())).append(".</p>\n");
            if (!e.perplexity().isEmpty()) {
                List<List<String>> pc = new ArrayList<>();
                for (EvalReport.PplRow p : e.perplexity()) pc.add(List.of(p.file(), ppl(p.ppl()), String.valueOf(p.windows()), String.valueOf(p.tokens())));
                b.append(new HtmlTable("ppl-" + labels.get(i), List.of("text", "perplexity", "windows", "tokens"), pc).html());
            }
        }
        b.append("<p class=\"caption\">lm-evaluation-harness semantics, 0-shot (docs/evaluation.md); ± is the standard error.</p>\n");
        close(b);
    }

    /** "eval.json" -> "eval", "eval-msp.json" -> "msp". */
    static String evalLabel(String file) {
        String stem = file.endsWith(".json") ? file.substring(0, file.length() - 5) : file;
        return stem.startsWith("eval-") && stem.length() > 5 ? stem.substring(5) : stem;
    }

    private static TaskResult find(EvalReport e, String task) {
        for (EvalReport.TaskRow t : e.tasks()) if (t.result().task().equals(task)) return t.result();
        return null;
    }

    static String pct(double v) { return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1f%%", 100 * v) : "-"; }

    static String pct2(double v) { return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f%%", 100 * v) : "-"; }

    static String ppl(double v) { return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f", v) : "-"; }
}
