package dev.mixprune.report;

import java.util.ArrayList;
import java.util.List;

/**
 * Bars over categories, one bar per series in each category (a plain bar chart when there is one
 * series). Missing values (NaN, or <= 0 on a log axis) leave a gap. Optional: error bars
 * (±errors[s][c], drawn as whiskers; on a log axis a lower end at or below zero is clipped to the
 * axis), and a reference value per category (e.g. the chance level of each task) drawn as a dashed
 * black tick across the category's bars and named in the legend.
 *
 * @param values     values[series][category]
 * @param errors     half-widths of the error bars, errors[series][category] (NaN: none), or null
 * @param references reference value per category (NaN: none), or null
 */
public record GroupedBarChart(String id, String title, String xTitle, String yTitle, List<String> categories, List<String> seriesNames,
                              double[][] values, double[][] errors, boolean logY, boolean zeroBased, double[] references,
                              String referenceName) implements Chart {

    public GroupedBarChart {
        categories = List.copyOf(categories);
        seriesNames = List.copyOf(seriesNames);
        if (values.length != seriesNames.size()) throw new IllegalArgumentException(values.length + " value rows for " + seriesNames.size() + " series");
        for (double[] v : values) {
            if (v.length != categories.size()) throw new IllegalArgumentException(v.length + " values for " + categories.size() + " categories");
        }
        if (errors != null && errors.length != values.length) throw new IllegalArgumentException("errors must match values");
        if (references != null && references.length != categories.size()) throw new IllegalArgumentException("one reference per category");
    }

    /** Several series, no error bars, no references. */
    public GroupedBarChart(String id, String title, String xTitle, String yTitle, List<String> categories, List<String> seriesNames,
                           double[][] values, boolean logY, boolean zeroBased) {
        this(id, title, xTitle, yTitle, categories, seriesNames, values, null, logY, zeroBased, null, null);
    }

    /** One series. */
    public static GroupedBarChart bars(String id, String title, String xTitle, String yTitle, List<String> categories, double[] values, boolean logY) {
        return new GroupedBarChart(id, title, xTitle, yTitle, categories, List.of(yTitle), new double[][]{values}, logY, true);
    }

    private boolean ok(double v) { return Double.isFinite(v) && (!logY || v > 0); }

    private double error(int s, int c) {
        return errors == null ? Double.NaN : errors[s][c];
    }

    @Override public String svg() {
        List<String> legend = new ArrayList<>(seriesNames);
        boolean hasRef = references != null && java.util.Arrays.stream(references).anyMatch(this::ok);
        if (hasRef) legend.add(referenceName);
        int n = categories.size();
        double legendW = Frame.legendWidth(legend);
        Frame f = new Frame(WIDTH, HEIGHT, legendW, Frame.categoryMargin(categories, WIDTH - 16 - legendW - Frame.LEFT));
        f.open(id, title);
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < values.length; s++) {
            for (int c = 0; c < n; c++) {
                double v = values[s][c];
                if (!ok(v)) continue;
                min = Math.min(min, v);
                max = Math.max(max, v);
                double e = error(s, c);
                if (Double.isFinite(e) && e > 0) {
                    max = Math.max(max, v + e);
                    if (ok(v - e)) min = Math.min(min, v - e);
                }
            }
        }
        if (hasRef) for (double r : references) if (ok(r)) { min = Math.min(min, r); max = Math.max(max, r); }
        if (n == 0 || !(max >= min)) {
            f.noData("no data");
            return f.close();
        }
        Scale y = logY ? Scale.Log.of(min, max, f.bottom, Frame.TOP) : Scale.Linear.of(min, max, f.bottom, Frame.TOP, zeroBased);
        f.yAxis(y, yTitle);
        f.categoryAxis(categories, xTitle);
        double band = (f.right - Frame.LEFT) / n;
        double inner = band * 0.8, barW = inner / seriesNames.size();
        double base = logY ? f.bottom : y.map(Math.max(((Scale.Linear) y).lo(), Math.min(0, ((Scale.Linear) y).hi())));
        for (int s = 0; s < values.length; s++) {
            for (int c = 0; c < n; c++) {
                double v = values[s][c];
                if (!ok(v)) continue;
                double top = y.map(v);
                double x0 = Frame.LEFT + band * c + (band - inner) / 2 + barW * s;
                double e = error(s, c);
                String tip = categories.get(c) + (seriesNames.size() > 1 ? " / " + seriesNames.get(s) : "") + ": " + LineChart.fmt(v)
                        + (Double.isFinite(e) ? " ± " + LineChart.fmt(e) : "");
                f.svg.rect(x0, Math.min(top, base), barW, Math.abs(base - top), Chart.color(s), tip);
                if (Double.isFinite(e) && e > 0) {
                    double cx = x0 + barW / 2;
                    double hi = y.map(v + e), lo = ok(v - e) ? y.map(v - e) : f.bottom;
                    double cap = Math.min(6, Math.max(2, barW * 0.6)) / 2;
                    f.svg.stroke(cx, hi, cx, lo, "#222", 1, null, null);
                    f.svg.stroke(cx - cap, hi, cx + cap, hi, "#222", 1, null, null);
                    if (ok(v - e)) f.svg.stroke(cx - cap, lo, cx + cap, lo, "#222", 1, null, null);
                }
            }
        }
        if (hasRef) {
            for (int c = 0; c < n; c++) {
                if (!ok(references[c])) continue;
                double py = y.map(references[c]);
                double x0 = Frame.LEFT + band * c + (band - inner) / 2 - 3;
                f.svg.stroke(x0, py, x0 + inner + 6, py, "#000", 1.5, "5 3", categories.get(c) + " " + referenceName + ": " + LineChart.fmt(references[c]));
            }
        }
        f.legend(legend, hasRef ? legend.size() - 1 : -1);
        return f.close();
    }
}
