package dev.mixprune.report;

import java.util.List;

/**
 * Bars over categories, one bar per series in each category (a plain bar chart when there is one
 * series). Missing values (NaN, or <= 0 on a log axis) leave a gap. An optional horizontal
 * reference line (e.g. chance level) is drawn dashed and named in the legend.
 *
 * @param values     values[series][category]
 * @param reference  y of a reference line, NaN for none
 */
public record GroupedBarChart(String id, String title, String xTitle, String yTitle, List<String> categories, List<String> seriesNames,
                              double[][] values, boolean logY, boolean zeroBased, double reference, String referenceName) implements Chart {

    public GroupedBarChart {
        categories = List.copyOf(categories);
        seriesNames = List.copyOf(seriesNames);
        if (values.length != seriesNames.size()) throw new IllegalArgumentException(values.length + " value rows for " + seriesNames.size() + " series");
        for (double[] v : values) {
            if (v.length != categories.size()) throw new IllegalArgumentException(v.length + " values for " + categories.size() + " categories");
        }
    }

    /** One series. */
    public static GroupedBarChart bars(String id, String title, String xTitle, String yTitle, List<String> categories, double[] values, boolean logY) {
        return new GroupedBarChart(id, title, xTitle, yTitle, categories, List.of(yTitle), new double[][]{values}, logY, true, Double.NaN, null);
    }

    private boolean ok(double v) { return Double.isFinite(v) && (!logY || v > 0); }

    @Override public String svg() {
        List<String> legend = new java.util.ArrayList<>(seriesNames);
        boolean hasRef = Double.isFinite(reference) && (!logY || reference > 0);
        if (hasRef && seriesNames.size() > 1) legend.add(referenceName);
        int n = categories.size();
        double legendW = Frame.legendWidth(legend);
        Frame f = new Frame(WIDTH, HEIGHT, legendW, Frame.categoryMargin(categories, WIDTH - 16 - legendW - Frame.LEFT));
        f.open(id, title);
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (double[] row : values) for (double v : row) if (ok(v)) { min = Math.min(min, v); max = Math.max(max, v); }
        if (hasRef) { min = Math.min(min, reference); max = Math.max(max, reference); }
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
                f.svg.rect(x0, Math.min(top, base), barW, Math.abs(base - top), Chart.color(s),
                        categories.get(c) + (seriesNames.size() > 1 ? " / " + seriesNames.get(s) : "") + ": " + LineChart.fmt(v));
            }
        }
        if (hasRef) {
            double py = y.map(reference);
            f.svg.raw("<line x1=\"" + Svg.num(Frame.LEFT) + "\" y1=\"" + Svg.num(py) + "\" x2=\"" + Svg.num(f.right) + "\" y2=\"" + Svg.num(py)
                    + "\" class=\"ref\" stroke=\"" + Chart.color(legend.size() - 1) + "\"><title>" + Svg.esc(referenceName) + "</title></line>\n");
            if (seriesNames.size() <= 1) f.svg.text(f.right - 4, py - 4, referenceName, "end", "note", 0);
        }
        f.legend(legend);
        return f.close();
    }
}
