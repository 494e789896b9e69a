package dev.mixprune.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Lines and/or point markers over a numeric x axis, with optional horizontal reference lines
 * (e.g. the dense model's perplexity). Points with non-finite coordinates (or non-positive y on a
 * log axis) are dropped and counted in a note under the title.
 */
public record LineChart(String id, String title, String xTitle, String yTitle, List<Series> series, boolean logY, List<Reference> references,
                        double minXSpan) implements Chart {

    public record Point(double x, double y, String note) {
        public Point(double x, double y) { this(x, y, null); }
    }

    /** How a series is drawn. STEP: a staircase (value holds until the next point), for running minima. */
    public enum Style { LINE_DOTS, LINE, DOTS, STEP, DASHED }

    /** @param color a CSS colour, or null for the palette colour of the series' index */
    public record Series(String name, List<Point> points, String color, Style style) {
        public Series { points = List.copyOf(points); }

        public Series(String name, List<Point> points) { this(name, points, null, Style.LINE_DOTS); }
    }

    /** A dashed horizontal line at {@code y}, named in the legend. */
    public record Reference(String name, double y) {}

    public LineChart {
        series = List.copyOf(series);
        references = List.copyOf(references);
    }

    public LineChart(String id, String title, String xTitle, String yTitle, List<Series> series, boolean logY) {
        this(id, title, xTitle, yTitle, series, logY, List.of(), 0);
    }

    public LineChart(String id, String title, String xTitle, String yTitle, List<Series> series, boolean logY, List<Reference> references) {
        this(id, title, xTitle, yTitle, series, logY, references, 0);
    }

    private String color(int i) {
        String c = series.get(i).color();
        return c != null ? c : Chart.color(i);
    }

    private boolean ok(Point p) { return Double.isFinite(p.x()) && Double.isFinite(p.y()) && (!logY || p.y() > 0); }

    @Override public String svg() {
        List<Frame.LegendEntry> legend = new ArrayList<>();
        for (int i = 0; i < series.size(); i++) {
            Frame.Key key = switch (series.get(i).style()) {
                case LINE_DOTS -> Frame.Key.LINE_DOT;
                case LINE, STEP -> Frame.Key.LINE;
                case DOTS -> Frame.Key.DOT;
                case DASHED -> Frame.Key.DASHED;
            };
            legend.add(new Frame.LegendEntry(series.get(i).name(), color(i), key));
        }
        List<Reference> refs = references.stream().filter(r -> Double.isFinite(r.y()) && (!logY || r.y() > 0)).toList();
        for (Reference r : refs) legend.add(new Frame.LegendEntry(r.name(), "#555", Frame.Key.DASHED));
        Frame f = new Frame(WIDTH, HEIGHT, Frame.legendWidth(legend.stream().map(Frame.LegendEntry::name).toList()), 48);
        f.open(id, title);
        double minX = Double.POSITIVE_INFINITY, maxX = Double.NEGATIVE_INFINITY, minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
        int dropped = 0;
        List<List<Point>> kept = new ArrayList<>();
        for (Series s : series) {
            List<Point> k = new ArrayList<>();
            for (Point p : s.points()) {
                if (ok(p)) {
                    k.add(p);
                    minX = Math.min(minX, p.x()); maxX = Math.max(maxX, p.x());
                    minY = Math.min(minY, p.y()); maxY = Math.max(maxY, p.y());
                } else dropped++;
            }
            k.sort(Comparator.comparingDouble(Point::x));
            kept.add(k);
        }
        if (kept.stream().allMatch(List::isEmpty)) {
            f.noData("no data");
            return f.close();
        }
        for (Reference r : refs) { minY = Math.min(minY, r.y()); maxY = Math.max(maxY, r.y()); }
        if (maxX - minX < minXSpan) {
            // A narrow x range (e.g. one setting) would magnify sub-percent differences: widen it around its centre.
            double mid = (minX + maxX) / 2;
            minX = mid - minXSpan / 2;
            maxX = mid + minXSpan / 2;
        }
        Scale x = Scale.Linear.of(minX, maxX, Frame.LEFT, f.right, false);
        Scale y = logY ? Scale.Log.of(minY, maxY, f.bottom, Frame.TOP) : Scale.Linear.of(minY, maxY, f.bottom, Frame.TOP, false);
        f.yAxis(y, yTitle);
        f.xAxis(x, xTitle);
        for (Reference r : refs) {
            double py = y.map(r.y());
            f.svg.stroke(Frame.LEFT, py, f.right, py, "#555", 1.5, "6 4", r.name() + ": " + fmt(r.y()));
        }
        for (int i = 0; i < kept.size(); i++) {
            List<Point> k = kept.get(i);
            Style style = series.get(i).style();
            String c = color(i);
            double[] xs = new double[k.size()], ys = new double[k.size()];
            for (int j = 0; j < k.size(); j++) { xs[j] = x.map(k.get(j).x()); ys[j] = y.map(k.get(j).y()); }
            if (k.size() > 1) {
                switch (style) {
                    case LINE_DOTS -> f.svg.polyline(xs, ys, c, 2, null);
                    case LINE -> f.svg.polyline(xs, ys, c, 2.5, null);
                    case DASHED -> f.svg.polyline(xs, ys, c, 1.5, "5 3");
                    case STEP -> {
                        double[] sx = new double[2 * k.size() - 1], sy = new double[2 * k.size() - 1];
                        for (int j = 0; j < k.size(); j++) {
                            sx[2 * j] = xs[j];
                            sy[2 * j] = ys[j];
                            if (j + 1 < k.size()) { sx[2 * j + 1] = xs[j + 1]; sy[2 * j + 1] = ys[j]; }
                        }
                        f.svg.polyline(sx, sy, c, 2.5, null);
                    }
                    case DOTS -> { }
                }
            }
            boolean dots = style == Style.LINE_DOTS || style == Style.DOTS || k.size() == 1;
            for (int j = 0; j < k.size(); j++) {
                Point p = k.get(j);
                String tip = series.get(i).name() + ": " + x.label(p.x()) + ", " + fmt(p.y()) + (p.note() == null ? "" : " (" + p.note() + ")");
                // Lines without dots still carry an invisible-but-hoverable point so that every value has a tooltip.
                if (dots) f.svg.circle(xs[j], ys[j], style == Style.DOTS ? 3 : 3.5, c, tip);
                else f.svg.raw("<circle class=\"hover\" cx=\"" + Svg.num(xs[j]) + "\" cy=\"" + Svg.num(ys[j]) + "\" r=\"5\" fill=\"transparent\"><title>"
                        + Svg.esc(tip) + "</title></circle>\n");
            }
        }
        f.legendEntries(legend);
        if (dropped > 0) f.svg.text(f.right, Frame.TOP - 4, dropped + " point(s) without a finite value not shown", "end", "note", 0);
        return f.close();
    }

    static String fmt(double v) {
        return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 && v != 0 ? String.format(java.util.Locale.ROOT, "%.4g", v)
                : String.format(java.util.Locale.ROOT, "%.4f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    }
}
