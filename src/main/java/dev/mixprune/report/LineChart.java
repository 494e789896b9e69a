package dev.mixprune.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Lines with point markers over a numeric x axis. Points with non-finite coordinates (or
 * non-positive y on a log axis) are dropped and counted in a note under the title.
 */
public record LineChart(String id, String title, String xTitle, String yTitle, List<Series> series, boolean logY) implements Chart {

    public record Point(double x, double y, String note) {
        public Point(double x, double y) { this(x, y, null); }
    }

    public record Series(String name, List<Point> points) {
        public Series { points = List.copyOf(points); }
    }

    public LineChart { series = List.copyOf(series); }

    @Override public String svg() {
        List<String> names = series.stream().map(Series::name).toList();
        Frame f = new Frame(WIDTH, HEIGHT, Frame.legendWidth(names), 48);
        f.open(id, title);
        double minX = Double.POSITIVE_INFINITY, maxX = Double.NEGATIVE_INFINITY, minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
        int dropped = 0;
        List<List<Point>> kept = new ArrayList<>();
        for (Series s : series) {
            List<Point> k = new ArrayList<>();
            for (Point p : s.points()) {
                if (Double.isFinite(p.x()) && Double.isFinite(p.y()) && (!logY || p.y() > 0)) {
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
        Scale x = Scale.Linear.of(minX, maxX, Frame.LEFT, f.right, false);
        Scale y = logY ? Scale.Log.of(minY, maxY, f.bottom, Frame.TOP) : Scale.Linear.of(minY, maxY, f.bottom, Frame.TOP, false);
        f.yAxis(y, yTitle);
        f.xAxis(x, xTitle);
        for (int i = 0; i < kept.size(); i++) {
            List<Point> k = kept.get(i);
            double[] xs = new double[k.size()], ys = new double[k.size()];
            for (int j = 0; j < k.size(); j++) { xs[j] = x.map(k.get(j).x()); ys[j] = y.map(k.get(j).y()); }
            if (k.size() > 1) f.svg.polyline(xs, ys, Chart.color(i));
            for (int j = 0; j < k.size(); j++) {
                Point p = k.get(j);
                String tip = series.get(i).name() + ": " + x.label(p.x()) + ", " + fmt(p.y()) + (p.note() == null ? "" : " (" + p.note() + ")");
                f.svg.circle(xs[j], ys[j], 3.5, Chart.color(i), tip);
            }
        }
        f.legend(names);
        if (dropped > 0) f.svg.text(f.right, Frame.TOP - 4, dropped + " point(s) without a finite value not shown", "end", "note", 0);
        return f.close();
    }

    static String fmt(double v) {
        return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 && v != 0 ? String.format(java.util.Locale.ROOT, "%.4g", v)
                : String.format(java.util.Locale.ROOT, "%.4f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    }
}
