package dev.mixprune.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One page across several run directories (e.g. the MSP campaign: three methods x four targets):
 * a sentence (in how many settings MSP has the lowest perplexity, by how much), a table with one
 * row per run (dense, uniform, OWL, Fisher, MSP perplexity at their achieved sparsity, and MSP
 * against the best other allocation), and for each method a perplexity-against-sparsity chart with
 * one line per allocation (mixed N:M runs as separate points, dense as a dashed line).
 */
public final class ComparisonReport {
    private ComparisonReport() {}

    /** Colours per allocation, the same in every chart of the page. */
    static final Map<String, String> COLORS = Map.of("uniform", "#E69F00", "owl-reference", "#56B4E9", "owl", "#009E73", "fisher", "#CC79A7", "msp", "#0072B2");

    /** A run's headline with where it came from. */
    record Setting(RunData run, Headline headline, String link, String label) {
        String pattern() { return headline.pattern().isEmpty() ? "unstructured" : headline.pattern(); }

        boolean nm() { return !pattern().equals("unstructured"); }
    }

    /**
     * A name per run directory that tells the runs apart: the last path component, or as many
     * trailing components as it takes ("wanda-0.75/cal0" and "wanda-0.80/cal0", not "cal0" twice).
     */
    static Map<String, String> labels(List<RunData> runs) {
        Map<String, String> labels = new java.util.HashMap<>();
        List<List<String>> parts = new ArrayList<>();
        for (RunData r : runs) {
            List<String> p = new ArrayList<>();
            for (java.nio.file.Path x : java.nio.file.Path.of(r.runDir()).normalize()) p.add(x.toString());
            parts.add(p);
        }
        for (int i = 0; i < runs.size(); i++) {
            List<String> p = parts.get(i);
            String label = String.join("/", p);
            for (int k = 1; k <= p.size(); k++) {
                String suffix = String.join("/", p.subList(p.size() - k, p.size()));
                boolean unique = true;
                for (int j = 0; j < runs.size() && unique; j++) {
                    List<String> q = parts.get(j);
                    if (j != i && !q.equals(p) && q.size() >= k && String.join("/", q.subList(q.size() - k, q.size())).equals(suffix)) unique = false;
                }
                if (unique) { label = suffix; break; }
            }
            labels.put(runs.get(i).runDir(), label);
        }
        return labels;
    }

    /**
     * @param runs the runs, in the order given
     * @param link relative link to a run's own report.html, or null when it has none
     */
    public static String render(List<RunData> runs, Function<RunData, String> link) {
        List<Setting> settings = new ArrayList<>();
        List<RunData> without = new ArrayList<>();
        Map<String, String> labels = labels(runs);
        for (RunData r : runs) {
            Headline h = Headline.of(r);
            if (h == null || h.rows().isEmpty()) without.add(r);
            else settings.add(new Setting(r, h, link.apply(r), labels.get(r.runDir())));
        }
        settings.sort(Comparator.comparing((Setting s) -> methodOrder(s.headline().method())).thenComparing(Setting::nm)
                .thenComparingDouble(s -> s.headline().target()));
        StringBuilder b = new StringBuilder();
        String heading = "mixprune: " + runs.size() + " runs compared";
        Page.open(b, heading, heading, Svg.esc(settings.size() + " with results: " + String.join(", ", settings.stream().map(s -> s.label()).toList())));

        Page.section(b, "headline", "Result");
        if (settings.isEmpty()) b.append("<p class=\"missing\">None of the directories has a readable <code>results.json</code>.</p>\n");
        else {
            b.append("<p class=\"lead\" id=\"headline-sentence\">").append(Svg.esc(sentence(settings))).append("</p>\n");
            b.append(table(settings));
            Page.caption(b, "Perplexity per run and allocation, the achieved sparsity below it; the lowest of each row is bold. MSP vs best other = the "
                    + "lowest perplexity among the other allocations divided by MSP's (above 1: MSP is better)."
                    + (settings.stream().anyMatch(Setting::nm) ? " N:M runs compare mixed N:M plans with the uniform N:M pattern of the same budget." : ""));
        }
        if (!without.isEmpty()) {
            b.append("<p class=\"missing\">Without results (not in the table): ")
                    .append(Svg.esc(String.join(", ", without.stream().map(RunData::runDir).toList()))).append(".</p>\n");
        }
        Page.endSection(b);

        Set<String> methods = new LinkedHashSet<>();
        for (Setting s : settings) methods.add(s.headline().method());
        if (!settings.isEmpty()) {
            Page.section(b, "perplexity", "Perplexity against sparsity");
            for (String m : methods) b.append(chart(m, settings.stream().filter(s -> s.headline().method().equals(m)).toList()));
            Page.caption(b, (methods.size() > 1 ? "One chart per method: x" : "x") + " = achieved sparsity of the prunable layers, y = perplexity "
                    + "(log scale); one line per allocation" + (settings.stream().anyMatch(Setting::nm)
                    ? " over the unstructured runs, mixed N:M runs as separate points (marked N:M in the legend)" : "")
                    + "; the dense perplexity is in the title. Hover a point for its run.");
            Page.endSection(b);
        }
        zeroShot(b, settings);
        Page.close(b);
        return b.toString();
    }

    private static int methodOrder(String m) {
        int i = List.of("magnitude", "wanda", "sparsegpt").indexOf(m);
        return i < 0 ? 9 : i;
    }

    static String sentence(List<Setting> settings) {
        int withMsp = 0, mspBest = 0;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        List<String> lost = new ArrayList<>();
        for (Setting s : settings) {
            Headline h = s.headline();
            Headline.Row msp = h.row("msp");
            Double other = bestOther(h);
            if (msp == null || other == null || !Double.isFinite(msp.ppl())) continue;
            withMsp++;
            double gain = other / msp.ppl();
            lo = Math.min(lo, gain);
            hi = Math.max(hi, gain);
            if (gain > 1) mspBest++;
            else lost.add(s.label());
        }
        if (withMsp == 0) return settings.size() + " runs; none compares MSP with another allocation.";
        StringBuilder b = new StringBuilder("MSP has the lowest perplexity in ").append(mspBest).append(" of ").append(withMsp)
                .append(withMsp == 1 ? " setting" : " settings");
        if (lo == hi) b.append(String.format(Locale.ROOT, " (%.2f× the best other allocation)", lo));
        else b.append(String.format(Locale.ROOT, "; the best other allocation's perplexity is %.2f× to %.2f× MSP's", lo, hi));
        if (!lost.isEmpty()) b.append(". Not in ").append(String.join(", ", lost));
        return b.append('.').toString();
    }

    /** The lowest perplexity among the pruned non-MSP allocations, or null. */
    private static Double bestOther(Headline h) {
        return h.rows().stream().filter(r -> !r.allocation().equals("msp") && Double.isFinite(r.ppl())).map(Headline.Row::ppl)
                .min(Double::compare).orElse(null);
    }

    private static String table(List<Setting> settings) {
        List<String> allocs = new ArrayList<>();
        for (String a : Headline.ORDER) if (settings.stream().anyMatch(s -> s.headline().row(a) != null)) allocs.add(a);
        for (Setting s : settings) for (Headline.Row r : s.headline().rows()) if (!allocs.contains(r.allocation())) allocs.add(r.allocation());
        List<String> headers = new ArrayList<>(List.of("run", "method", "target", "dense"));
        for (String a : allocs) headers.add(Headline.label(a));
        headers.add("MSP vs best other");
        StringBuilder b = new StringBuilder("<table class=\"data\" id=\"table-comparison\">\n<thead><tr>");
        for (String h : headers) b.append("<th>").append(Svg.esc(h)).append("</th>");
        b.append("</tr></thead>\n<tbody>\n");
        for (Setting s : settings) {
            Headline h = s.headline();
            Headline.Row best = h.best();
            b.append("<tr><td class=\"nw\">").append(s.link() == null ? Svg.esc(s.label())
                    : "<a href=\"" + Svg.esc(s.link()) + "\">" + Svg.esc(s.label()) + "</a>").append("</td>");
            b.append("<td>").append(Svg.esc(Headline.methodName(h.method()))).append("</td>");
            b.append("<td>").append(Svg.esc(HtmlReport.pct0(h.target()) + (s.nm() ? " " + s.pattern() : ""))).append("</td>");
            b.append("<td class=\"num\">").append(h.dense() == null ? "-" : Headline.ppl(h.dense().ppl())).append("</td>");
            for (String a : allocs) {
                Headline.Row r = h.row(a);
                if (r == null) { b.append("<td></td>"); continue; }
                String cell = Headline.ppl(r.ppl()) + "<br><span class=\"sub\">" + String.format(Locale.ROOT, "%.2f%%", 100 * r.achieved()) + "</span>";
                b.append(r == best ? "<td class=\"num\"><b>" + cell + "</b></td>" : "<td class=\"num\">" + cell + "</td>");
            }
            Headline.Row msp = h.row("msp");
            Double other = bestOther(h);
            b.append("<td class=\"num\">").append(msp == null || other == null ? "-" : Headline.times(other / msp.ppl())).append("</td></tr>\n");
        }
        return b.append("</tbody>\n</table>\n").toString();
    }

    private static String chart(String method, List<Setting> settings) {
        Map<String, List<LineChart.Point>> lines = new LinkedHashMap<>();
        Map<String, String> colors = new LinkedHashMap<>();
        Map<String, Boolean> dotsOnly = new LinkedHashMap<>();
        double dense = Double.NaN;
        for (Setting s : settings) {
            Headline h = s.headline();
            if (h.dense() != null && Double.isNaN(dense)) dense = h.dense().ppl();
            for (Headline.Row r : h.rows()) {
                String key = Headline.label(r.allocation()) + (s.nm() ? ", N:M (" + s.pattern() + ")" : "");
                lines.computeIfAbsent(key, k -> new ArrayList<>()).add(new LineChart.Point(100 * r.achieved(), r.ppl(), s.label()));
                colors.putIfAbsent(key, COLORS.getOrDefault(r.allocation(), "#000000"));
                dotsOnly.putIfAbsent(key, s.nm());
            }
        }
        List<LineChart.Series> series = new ArrayList<>();
        lines.forEach((k, pts) -> series.add(new LineChart.Series(k, pts, colors.get(k), dotsOnly.get(k) ? LineChart.Style.DOTS : LineChart.Style.LINE_DOTS)));
        // The dense perplexity goes in the title, not on the axis: a line at 4.6 would squeeze pruned models (100-1000) into a third of it.
        return new LineChart("perplexity-" + method, Headline.methodName(method) + ": perplexity against sparsity"
                + (Double.isFinite(dense) ? " (dense: " + Headline.ppl(dense) + ")" : ""), "achieved sparsity (%)",
                "perplexity (log scale)", series, true, List.of(), 10).svg();
    }

    /** Mean zero-shot accuracy per run and allocation, when any run has eval files. */
    private static void zeroShot(StringBuilder b, List<Setting> settings) {
        boolean any = settings.stream().anyMatch(s -> s.headline().zeroShotTasks() > 0);
        if (!any) return;
        Page.section(b, "zeroshot", "Zero-shot accuracy");
        List<String> headers = new ArrayList<>(List.of("run", "tasks", "dense"));
        for (String a : Headline.ORDER) headers.add(Headline.label(a));
        List<List<String>> rows = new ArrayList<>();
        for (Setting s : settings) {
            Headline h = s.headline();
            if (h.zeroShotTasks() == 0) continue;
            List<String> row = new ArrayList<>(List.of(s.label(), String.valueOf(h.zeroShotTasks()),
                    h.dense() == null ? "-" : HtmlReport.pct(h.dense().zeroShot())));
            for (String a : Headline.ORDER) row.add(h.row(a) == null ? "" : HtmlReport.pct(h.row(a).zeroShot()));
            rows.add(row);
        }
        b.append(new HtmlTable("comparison-zeroshot", headers, rows).html());
        Page.caption(b, "Mean acc over each run's zero-shot tasks (see each run's report for tasks, standard errors and chance levels).");
        Page.endSection(b);
    }
}
