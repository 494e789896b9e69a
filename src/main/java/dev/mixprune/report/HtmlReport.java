package dev.mixprune.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixprune.eval.zeroshot.EvalReport;
import dev.mixprune.eval.zeroshot.TaskResult;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Renders one run directory as one self-contained HTML page (inline CSS and SVG, no scripts, no
 * network; docs/report.md). Top to bottom: the headline comparison (dense / uniform / OWL / MSP)
 * with one sentence of result; the plans as heatmaps (block x matrix, one colour scale); the Fisher
 * sensitivities with error bars; the search convergence; perplexity against sparsity (only when
 * the run has several sparsities); zero-shot accuracy; the run's metadata. A section whose input is
 * missing or unreadable says so. The output depends only on the input files (no timestamps).
 */
public final class HtmlReport {
    private HtmlReport() {}

    /** Blocks beyond which the Fisher chart draws lines per matrix instead of grouped bars. */
    static final int MAX_GROUPED_BLOCKS = 40;

    public static String render(RunData run) {
        StringBuilder b = new StringBuilder();
        Headline h = Headline.of(run);
        String heading = heading(run, h);
        Page.open(b, "mixprune: " + heading, heading, "run directory <code>" + Svg.esc(run.runDir()) + "</code>");
        headline(b, run, h);
        plans(b, run);
        fisher(b, run);
        search(b, run);
        perplexity(b, run);
        zeroShot(b, run);
        metadata(b, run);
        Page.close(b);
        return b.toString();
    }

    /** "stories260K.bin: Wanda, target 75% unstructured", or the directory name. */
    static String heading(RunData run, Headline h) {
        String model = run.manifestText("model");
        String name = model.isEmpty() ? "" : Path.of(model).getFileName().toString();
        if (h != null && !h.rows().isEmpty()) return (name.isEmpty() ? "" : name + ": ") + h.settingText();
        return name.isEmpty() ? "mixprune report: " + run.name() : "mixprune report: " + name;
    }

    /** Missing/broken notice; returns true when the section has its data. */
    private static boolean notice(StringBuilder b, Section<?> s, String writtenBy) {
        switch (s) {
            case Section.Missing<?> m -> b.append("<p class=\"missing\">Not in this run: no <code>").append(Svg.esc(m.file()))
                    .append("</code>").append(writtenBy.isEmpty() ? "" : " (written by " + Svg.esc(writtenBy) + ")").append(".</p>\n");
            case Section.Broken<?> x -> b.append("<p class=\"broken\"><code>").append(Svg.esc(x.file())).append("</code> could not be read: ")
                    .append(Svg.esc(x.error())).append("</p>\n");
            case Section.Present<?> p -> { return true; }
        }
        return false;
    }

    // ---------------------------------------------------------------- headline

    private static void headline(StringBuilder b, RunData run, Headline h) {
        Page.section(b, "headline", "Result");
        if (!notice(b, run.results(), "mixprune run") || h == null) {
            Page.endSection(b);
            return;
        }
        b.append("<p class=\"lead\" id=\"headline-sentence\">").append(Svg.esc(h.sentence())).append("</p>\n");
        b.append(headlineTable(h, "headline"));
        String dataset = run.manifestJson().map(m -> m.path("evaluation").path("file").asText("")).filter(s -> !s.isEmpty())
                .map(s -> Path.of(s).getFileName().toString()).orElse("the evaluation text");
        Page.caption(b, "Perplexity on " + Svg.esc(dataset) + " (lower is better); sparsity is the achieved fraction of zeros over the prunable "
                + "layers, counted in the pruned model; × dense = perplexity / dense perplexity. The best pruned model is highlighted."
                + (h.zeroShotTasks() > 0 ? " Zero-shot: mean acc over " + h.zeroShotTasks() + " tasks (details below)." : ""));
        Page.endSection(b);
    }

    static String headlineTable(Headline h, String id) {
        boolean zs = h.zeroShotTasks() > 0;
        List<String> headers = new ArrayList<>(List.of("model", "sparsity", "perplexity", "× dense"));
        if (zs) headers.add("mean zero-shot acc");
        List<List<String>> rows = new ArrayList<>();
        List<String> classes = new ArrayList<>();
        Headline.Row best = h.best();
        if (h.dense() != null) {
            rows.add(row(h.dense(), "dense", zs));
            classes.add("ref");
        }
        for (Headline.Row r : h.rows()) {
            rows.add(row(r, Headline.label(r.allocation()), zs));
            classes.add(r == best ? "best" : null);
        }
        return new HtmlTable("headline".equals(id) ? "headline" : id, headers, rows, true, classes, Set.of()).html();
    }

    private static List<String> row(Headline.Row r, String label, boolean zs) {
        List<String> c = new ArrayList<>(List.of(label, pct2(r.achieved()), Headline.ppl(r.ppl()),
                Double.isFinite(r.ratioToDense()) ? String.format(Locale.ROOT, "%.1f×", r.ratioToDense()) : "-"));
        if (zs) c.add(Double.isFinite(r.zeroShot()) ? pct(r.zeroShot()) : "-");
        return c;
    }

    // ---------------------------------------------------------------- plans

    private static void plans(StringBuilder b, RunData run) {
        Page.section(b, "plans", "Sparsity plans");
        if (run.plans().isEmpty()) {
            b.append("<p class=\"missing\">Not in this run: no <code>plan-*.json</code> (written by mixprune run, or search --out RUN_DIR/plan-msp.json).</p>\n");
            Page.endSection(b);
            return;
        }
        for (Section<RunData.Plan> s : run.plans()) if (!(s instanceof Section.Present<RunData.Plan>)) notice(b, s, "");
        List<RunData.Plan> plans = new ArrayList<>(run.presentPlans());
        plans.sort(Comparator.comparingInt(p -> {
            int i = Headline.ORDER.indexOf(p.name());
            return i < 0 ? Headline.ORDER.size() : i;
        }));
        if (plans.isEmpty()) {
            Page.endSection(b);
            return;
        }
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (RunData.Plan p : plans) for (double v : p.layerSparsity().values()) { min = Math.min(min, v); max = Math.max(max, v); }
        ColorScale scale = ColorScale.covering(min, max);
        b.append("<div class=\"heatmaps\">\n");
        for (RunData.Plan p : plans) b.append(heatmap(p, scale).svg());
        b.append("</div>\n");
        b.append(new ColorBar("plan-scale", "sparsity of the layer (%), one scale for every plan", scale).svg());
        Page.caption(b, "One grid per plan: a row per transformer block, a column per prunable matrix; the colour is the sparsity of that "
                + "layer's pattern (darker = more pruned) and the cell gives it in percent, or as N:M (N kept of every M). Hover a cell for its "
                + "exact value. The title gives the plan's parameter-weighted overall sparsity (its own accounting; the achieved sparsity of "
                + "the pruned model is in the table above).");
        Page.endSection(b);
    }

    static Heatmap heatmap(RunData.Plan p, ColorScale scale) {
        List<String> kinds = new ArrayList<>();
        for (LayerKind k : LayerKind.values()) kinds.add(k.name().toLowerCase(Locale.ROOT));
        int blocks = 0;
        for (String name : p.layerSparsity().keySet()) {
            LayerId id = parse(name);
            if (id != null) blocks = Math.max(blocks, id.block() + 1);
        }
        double[][] v = new double[blocks][kinds.size()];
        String[][] labels = new String[blocks][kinds.size()], tips = new String[blocks][kinds.size()];
        for (double[] row : v) java.util.Arrays.fill(row, Double.NaN);
        for (Map.Entry<String, Double> e : p.layerSparsity().entrySet()) {
            LayerId id = parse(e.getKey());
            if (id == null) continue;
            int c = id.kind().ordinal();
            v[id.block()][c] = e.getValue();
            String label = p.layerLabel().getOrDefault(e.getKey(), "");
            labels[id.block()][c] = label;
            tips[id.block()][c] = Headline.label(p.name()) + " " + e.getKey() + ": " + (label.contains(":") ? label + " (" + pct(e.getValue()) + ")" : pct2(e.getValue()));
        }
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < blocks; i++) rows.add(Integer.toString(i));
        return new Heatmap("plan-" + p.name(), Headline.label(p.name()) + " · " + pct(p.overall()), "block", rows, kinds, v, labels, tips, scale);
    }

    private static LayerId parse(String name) {
        try {
            return LayerId.parse(name);
        } catch (RuntimeException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- fisher

    private static void fisher(StringBuilder b, RunData run) {
        Page.section(b, "fisher", "Fisher sensitivity per layer");
        if (notice(b, run.fisher(), "mixprune run / sensitivity")) {
            RunData.Fisher f = ((Section.Present<RunData.Fisher>) run.fisher()).value();
            boolean positive = f.traces().values().stream().allMatch(x -> x > 0);
            boolean hasErrors = f.stdErrors().values().stream().anyMatch(Double::isFinite);
            Map<String, LayerId> ids = new LinkedHashMap<>();
            for (String n : f.traces().keySet()) ids.put(n, parse(n));
            int blocks = ids.values().stream().filter(java.util.Objects::nonNull).mapToInt(i -> i.block() + 1).max().orElse(0);
            String yTitle = positive ? "Fisher trace (log scale)" : "Fisher trace";
            if (ids.containsValue(null) || blocks == 0) {
                List<String> names = new ArrayList<>(f.traces().keySet());
                double[] v = f.traces().values().stream().mapToDouble(Double::doubleValue).toArray();
                double[] e = f.stdErrors().values().stream().mapToDouble(Double::doubleValue).toArray();
                b.append(new GroupedBarChart("fisher", "Fisher trace per layer", "layer", yTitle, names, List.of("trace"), new double[][]{v},
                        hasErrors ? new double[][]{e} : null, positive, true, null, null).svg());
            } else if (blocks <= MAX_GROUPED_BLOCKS) {
                List<String> kinds = new ArrayList<>(), cats = new ArrayList<>();
                for (LayerKind k : LayerKind.values()) kinds.add(k.name().toLowerCase(Locale.ROOT));
                for (int i = 0; i < blocks; i++) cats.add("block " + i);
                double[][] v = new double[kinds.size()][blocks], e = new double[kinds.size()][blocks];
                for (double[] r : v) java.util.Arrays.fill(r, Double.NaN);
                for (double[] r : e) java.util.Arrays.fill(r, Double.NaN);
                ids.forEach((n, id) -> {
                    v[id.kind().ordinal()][id.block()] = f.traces().get(n);
                    e[id.kind().ordinal()][id.block()] = f.stdErrors().getOrDefault(n, Double.NaN);
                });
                b.append(new GroupedBarChart("fisher", "Fisher trace per layer, grouped by block", "block", yTitle, cats, kinds, v,
                        hasErrors ? e : null, positive, true, null, null).svg());
            } else {
                List<LineChart.Series> series = new ArrayList<>();
                for (LayerKind k : LayerKind.values()) {
                    List<LineChart.Point> pts = new ArrayList<>();
                    ids.forEach((n, id) -> {
                        if (id.kind() == k) pts.add(new LineChart.Point(id.block(), f.traces().get(n), "± " + LineChart.fmt(f.stdErrors().getOrDefault(n, Double.NaN))));
                    });
                    series.add(new LineChart.Series(k.name().toLowerCase(Locale.ROOT), pts));
                }
                b.append(new LineChart("fisher", "Fisher trace per layer", "block", yTitle, series, positive).svg());
            }
            Page.caption(b, "Empirical Fisher trace of each prunable layer (docs/protocols.md F): the mean over "
                    + (f.windows() > 0 ? f.windows() + " calibration windows" + (f.seqLen() > 0 ? " of " + f.seqLen() + " tokens" : "") : "the calibration windows")
                    + " of the summed squared loss gradients of the layer's weights. Larger means pruning the layer costs more."
                    + (hasErrors ? " Error bars: ±1 standard error over the windows" + (blocks > MAX_GROUPED_BLOCKS ? " (in the tooltips)" : "")
                    + (positive ? "; a bar whose lower end would be at or below zero is drawn to the axis." : ".")
                    : " The file has no standard errors."));
        }
        Page.endSection(b);
    }

    // ---------------------------------------------------------------- search

    private static void search(StringBuilder b, RunData run) {
        Page.section(b, "search", "Search convergence");
        if (notice(b, run.search(), "mixprune run / search")) {
            RunData.SearchTrace t = ((Section.Present<RunData.SearchTrace>) run.search()).value();
            String metric = t.metric().isEmpty() ? run.manifestJson().map(m -> m.path("search").path("fitness").asText("")).orElse("") : t.metric();
            if (metric.isEmpty() && !run.manifestJson().map(m -> m.path("search").isObject()).orElse(false) && run.manifest() instanceof Section.Present<?>) {
                metric = "kl";   // runs written before the manifest named the fitness: the search always used KL
            }
            List<LineChart.Point> bestSoFar = new ArrayList<>(), best = new ArrayList<>(), mean = new ArrayList<>();
            double running = Double.POSITIVE_INFINITY;
            for (RunData.Generation g : t.generations()) {
                if (Double.isFinite(g.bestFitness())) running = Math.min(running, g.bestFitness());
                if (Double.isFinite(running)) bestSoFar.add(new LineChart.Point(g.generation(), running));
                best.add(new LineChart.Point(g.generation(), g.bestFitness()));
                if (!Double.isNaN(g.meanFitness())) mean.add(new LineChart.Point(g.generation(), g.meanFitness()));
            }
            List<LineChart.Series> series = new ArrayList<>();
            series.add(new LineChart.Series("best so far", bestSoFar, "#0072B2", LineChart.Style.STEP));
            series.add(new LineChart.Series("best of the generation", best, "#D55E00", LineChart.Style.DOTS));
            if (!mean.isEmpty()) series.add(new LineChart.Series("mean of the generation", mean, "#999999", LineChart.Style.DASHED));
            String yTitle = switch (metric) {
                case "kl" -> "KL to dense (nats/token)";
                case "ppl" -> "perplexity of the candidate";
                default -> "fitness (lower is better)";
            };
            b.append(new LineChart("search", "Search fitness per generation (lower is better)", "generation", yTitle, series, false).svg());
            int gens = t.generations().stream().mapToInt(RunData.Generation::generation).max().orElse(0);
            boolean hasZero = t.generations().stream().anyMatch(g -> g.generation() == 0);
            Page.caption(b, (hasZero ? "Generation 0 is the initial population (uniform, OWL and Fisher-based genomes, after selection); "
                    + gens + (gens == 1 ? " generation" : " generations") + " of offspring followed. "
                    : t.generations().size() + " generations. ")
                    + "Every generation scores its candidates on a fresh sample of calibration tokens, so a generation's best is measured on other "
                    + "tokens than the previous one's and can rise; the best-so-far line is the lowest value seen up to that generation (slightly "
                    + "optimistic, since each value is one noisy sample). Mean: over the candidates of the generation's last selection stage."
                    + (metric.equals("kl") ? " KL: mean over predicted tokens of KL(dense || candidate), in nats." : ""));
        }
        Page.endSection(b);
    }

    // ---------------------------------------------------------------- perplexity vs sparsity

    /** Shown only when the results hold several target sparsities (a single run has one: the headline covers it). */
    private static void perplexity(StringBuilder b, RunData run) {
        List<RunData.ResultRow> rows = run.resultRows();
        long targets = rows.stream().filter(r -> !r.isDense()).map(RunData.ResultRow::target).distinct().count();
        if (targets < 2) return;
        Page.section(b, "perplexity", "Perplexity against sparsity");
        Map<String, List<LineChart.Point>> bySeries = new LinkedHashMap<>();
        Set<String> methods = new LinkedHashSet<>();
        for (RunData.ResultRow r : rows) if (!r.isDense()) methods.add(r.method());
        double dense = Double.NaN;
        for (RunData.ResultRow r : rows) {
            if (r.isDense()) { dense = r.ppl(); continue; }
            double x = Double.isNaN(r.achievedSparsity()) ? r.target() : r.achievedSparsity();
            String key = Headline.label(r.allocation()) + (methods.size() > 1 ? " / " + Headline.methodName(r.method()) : "")
                    + (r.dataset().isEmpty() ? "" : " / " + r.dataset());
            bySeries.computeIfAbsent(key, k -> new ArrayList<>()).add(new LineChart.Point(100 * x, r.ppl(), "target " + pct(r.target())));
        }
        List<LineChart.Series> series = new ArrayList<>();
        bySeries.forEach((k, v) -> series.add(new LineChart.Series(k, v)));
        boolean positive = rows.stream().anyMatch(r -> r.ppl() > 0);
        b.append(new LineChart("perplexity", "Perplexity against sparsity" + (Double.isFinite(dense) ? " (dense: " + Headline.ppl(dense) + ")" : ""),
                "achieved sparsity of the prunable layers (%)", "perplexity (log scale)", series, positive, List.of(), 10).svg());
        List<List<String>> cells = new ArrayList<>();
        boolean datasets = rows.stream().anyMatch(r -> !r.dataset().isEmpty());
        for (RunData.ResultRow r : rows) {
            List<String> c = new ArrayList<>(List.of(Headline.label(r.allocation()), r.method()));
            if (datasets) c.add(r.dataset());
            c.addAll(List.of(pct(r.target()), pct2(r.achievedSparsity()), Headline.ppl(r.ppl())));
            cells.add(c);
        }
        List<String> headers = new ArrayList<>(List.of("allocation", "method"));
        if (datasets) headers.add("dataset");
        headers.addAll(List.of("target", "achieved sparsity", "perplexity"));
        b.append(new HtmlTable("results", headers, cells).html());
        Page.endSection(b);
    }

    // ---------------------------------------------------------------- zero-shot

    private static void zeroShot(StringBuilder b, RunData run) {
        Page.section(b, "zeroshot", "Zero-shot accuracy");
        if (run.evals().isEmpty()) {
            b.append("<p class=\"absent\">Not in this run: no <code>eval.json</code> or <code>eval-*.json</code> (run with <code>--tasks</code>, "
                    + "or write one with <code>mixprune eval --out</code>; lm-evaluation-harness results files are read too).</p>\n");
            Page.endSection(b);
            return;
        }
        for (Section<EvalReport> s : run.evals()) if (!(s instanceof Section.Present<EvalReport>)) notice(b, s, "");
        List<Map.Entry<String, EvalReport>> ok = new ArrayList<>(run.presentEvals());
        ok.sort(Comparator.comparingInt(e -> e.getKey().equals("dense") ? -1 : Headline.ORDER.indexOf(e.getKey()) < 0 ? 99 : Headline.ORDER.indexOf(e.getKey())));
        if (ok.isEmpty()) {
            Page.endSection(b);
            return;
        }
        Set<String> taskSet = new LinkedHashSet<>();
        for (Map.Entry<String, EvalReport> e : ok) for (EvalReport.TaskRow t : e.getValue().tasks()) taskSet.add(t.result().task());
        List<String> tasks = new ArrayList<>(taskSet);
        List<String> labels = ok.stream().map(e -> Headline.label(e.getKey())).toList();
        List<String> headers = new ArrayList<>(List.of("task", "n", "chance"));
        headers.addAll(labels);
        List<List<String>> cells = new ArrayList<>();
        double[][] acc = new double[ok.size()][tasks.size()], err = new double[ok.size()][tasks.size()];
        double[] chance = new double[tasks.size()];
        for (int j = 0; j < tasks.size(); j++) {
            List<String> row = new ArrayList<>(List.of(tasks.get(j), "", ""));
            chance[j] = Double.NaN;
            Set<Integer> ns = new LinkedHashSet<>();
            for (int i = 0; i < ok.size(); i++) {
                TaskResult r = ok.get(i).getValue().task(tasks.get(j));
                acc[i][j] = r == null ? Double.NaN : 100 * r.acc();
                err[i][j] = r == null ? Double.NaN : 100 * r.accStderr();
                if (r != null && Double.isNaN(chance[j])) chance[j] = r.chance();
                if (r != null) ns.add(r.n());
                row.add(r == null ? "" : pct(r.acc()) + (Double.isNaN(r.accStderr()) ? "" : " ± " + String.format(Locale.ROOT, "%.1f", 100 * r.accStderr()))
                        + (r.hasAccNorm() ? " (" + pct(r.accNorm()) + ")" : ""));
            }
            row.set(1, ns.size() == 1 ? String.valueOf(ns.iterator().next()) : ns.toString());
            row.set(2, pct(chance[j]));
            chance[j] = 100 * chance[j];
            cells.add(row);
        }
        List<String> mean = new ArrayList<>(List.of("mean acc", "", ""));
        for (Map.Entry<String, EvalReport> e : ok) mean.add(pct(e.getValue().meanAcc()));
        cells.add(mean);
        b.append(new HtmlTable("zeroshot", headers, cells).html());
        b.append(new GroupedBarChart("zeroshot", "Zero-shot accuracy (acc) per task", "task", "accuracy (%)", tasks, labels, acc, err, false, true,
                chance, "chance").svg());
        EvalReport first = ok.getFirst().getValue();
        Page.caption(b, "lm-evaluation-harness scoring, 0-shot (docs/evaluation.md): acc ± standard error, acc_norm in brackets where the "
                + "harness reports it; error bars ±1 standard error; the dashed tick is the chance level of the task. "
                + (first.limit().isNone() ? "All documents." : "Documents per task: " + Svg.esc(first.limit().toString())
                + (first.selection().equals("harness-shuffle") ? " after the harness's Random(42) shuffle." : " (" + Svg.esc(first.selection()) + ")."))
                + " Files: " + Svg.esc(String.join(", ", ok.stream().map(e -> e.getKey().equals("eval") ? "eval.json" : "eval-" + e.getKey() + ".json").toList())) + ".");
        for (Map.Entry<String, EvalReport> e : ok) {
            if (e.getValue().perplexity().isEmpty()) continue;
            List<List<String>> pc = new ArrayList<>();
            for (EvalReport.PplRow p : e.getValue().perplexity()) pc.add(List.of(p.file(), Headline.ppl(p.ppl()), String.valueOf(p.windows()), String.valueOf(p.tokens())));
            b.append("<h3>Perplexity (").append(Svg.esc(Headline.label(e.getKey()))).append(")</h3>\n");
            b.append(new HtmlTable("ppl-" + e.getKey(), List.of("text", "perplexity", "windows", "tokens"), pc).html());
        }
        Page.endSection(b);
    }

    // ---------------------------------------------------------------- metadata

    private static void metadata(StringBuilder b, RunData run) {
        Page.section(b, "metadata", "Run metadata");
        if (notice(b, run.manifest(), "mixprune run")) {
            JsonNode m = run.manifestJson().orElseThrow();
            b.append(Metadata.html(m));
        }
        if (run.files().contains("recipe.json")) {
            // Every run directory carries its recipe (docs/recipes.md): say how to repeat the run.
            Page.caption(b, "Repeat this run: <code class=\"nw\">mixprune run --config " + Svg.esc(Metadata.shellWord(run.runDir() + "/recipe.json"))
                    + " --out NEW_DIR</code> (recipe.json holds every setting, defaults resolved).");
        }
        Page.caption(b, "Files in the directory: " + (run.files().isEmpty() ? "(none)"
                : String.join(", ", run.files().stream().map(f -> "<span class=\"nw\">" + Svg.esc(f) + "</span>").toList())) + ".");
        Page.endSection(b);
    }

    // ---------------------------------------------------------------- formatting

    static String pct(double v) { return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1f%%", 100 * v) : "-"; }

    static String pct0(double v) {
        if (!Double.isFinite(v)) return "-";
        double p = 100 * v;
        return p == Math.rint(p) ? String.format(Locale.ROOT, "%.0f%%", p) : String.format(Locale.ROOT, "%.1f%%", p);
    }

    static String pct2(double v) { return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f%%", 100 * v) : "-"; }
}
