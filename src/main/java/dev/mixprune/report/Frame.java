package dev.mixprune.report;

import java.util.List;

/** Shared layout of a chart: plot area, axes, ticks, titles and legend. */
final class Frame {
    static final double LEFT = 78, TOP = 36;

    final double width, height, right, bottom;
    final Svg svg = new Svg();

    Frame(double width, double height, double legendWidth, double bottomMargin) {
        this.width = width;
        this.height = height;
        this.right = width - 16 - legendWidth;
        this.bottom = height - bottomMargin;
    }

    void open(String id, String title) {
        svg.raw("<svg class=\"chart\" id=\"chart-" + Svg.esc(id) + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Svg.num(width)
                + "\" height=\"" + Svg.num(height) + "\" viewBox=\"0 0 " + Svg.num(width) + " " + Svg.num(height) + "\" role=\"img\">\n");
        svg.raw("<title>" + Svg.esc(title) + "</title>\n");
        svg.text(width / 2, 20, title, "middle", "ctitle", 0);
    }

    /** Horizontal grid lines, y ticks and labels, y title rotated on the left. */
    void yAxis(Scale y, String title) {
        for (double t : y.ticks()) {
            double py = y.map(t);
            svg.line(LEFT, py, right, py, "grid");
            svg.line(LEFT - 5, py, LEFT, py, "axis");
            svg.text(LEFT - 8, py + 4, y.label(t), "end", "tick", 0);
        }
        svg.line(LEFT, TOP, LEFT, bottom, "axis");
        svg.text(18, (TOP + bottom) / 2, title, "middle", "atitle", -90);
    }

    /** Numeric x axis with ticks. */
    void xAxis(Scale x, String title) {
        for (double t : x.ticks()) {
            double px = x.map(t);
            svg.line(px, bottom, px, bottom + 5, "axis");
            svg.text(px, bottom + 18, x.label(t), "middle", "tick", 0);
        }
        svg.line(LEFT, bottom, right, bottom, "axis");
        svg.text((LEFT + right) / 2, height - 8, title, "middle", "atitle", 0);
    }

    /** Category x axis: labels under band centres, rotated and thinned when there are many. */
    void categoryAxis(List<String> categories, String title) {
        int n = categories.size();
        double band = (right - LEFT) / Math.max(1, n);
        boolean rotate = rotateLabels(categories, right - LEFT);
        int every = Math.max(1, (int) Math.ceil(n / 48.0));
        for (int i = 0; i < n; i += every) {
            double cx = LEFT + band * (i + 0.5);
            svg.line(cx, bottom, cx, bottom + 4, "axis");
            if (rotate) svg.text(cx + 3, bottom + 10, categories.get(i), "end", "tick", -60);
            else svg.text(cx, bottom + 18, categories.get(i), "middle", "tick", 0);
        }
        svg.line(LEFT, bottom, right, bottom, "axis");
        svg.text((LEFT + right) / 2, height - 8, title, "middle", "atitle", 0);
    }

    /** How a legend entry is drawn: a filled square (bars), a line, a dashed line, a line with a dot, or a dot alone. */
    enum Key { SWATCH, LINE, DASHED, LINE_DOT, DOT }

    record LegendEntry(String name, String color, Key key) {}

    /** Series i as a swatch in palette colour i; the entry at {@code referenceIndex} (or none, -1) as a dashed black line. */
    void legend(List<String> names, int referenceIndex) {
        List<LegendEntry> e = new java.util.ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            e.add(i == referenceIndex ? new LegendEntry(names.get(i), "#000", Key.DASHED) : new LegendEntry(names.get(i), Chart.color(i), Key.SWATCH));
        }
        legendEntries(e);
    }

    void legend(List<String> names) { legend(names, -1); }

    /** One entry per series down the right side; when they do not fit, the last line says how many are left out. */
    void legendEntries(List<LegendEntry> entries) {
        if (entries.size() < 2) return;
        double x = right + 14, y = TOP + 6;
        int fit = Math.max(1, (int) ((bottom - TOP) / 20));
        int shown = entries.size() <= fit ? entries.size() : fit - 1;
        for (int i = 0; i < shown; i++) {
            LegendEntry le = entries.get(i);
            double cy = y + i * 20 - 3;
            switch (le.key()) {
                case SWATCH -> svg.rect(x, cy - 6, 12, 12, le.color(), null);
                case LINE -> svg.stroke(x - 2, cy, x + 14, cy, le.color(), 2.5, null, null);
                case DASHED -> svg.stroke(x - 2, cy, x + 14, cy, le.color(), 1.5, "5 3", null);
                case LINE_DOT -> {
                    svg.stroke(x - 2, cy, x + 14, cy, le.color(), 2, null, null);
                    svg.raw("<circle cx=\"" + Svg.num(x + 6) + "\" cy=\"" + Svg.num(cy) + "\" r=\"3\" fill=\"" + le.color() + "\"/>\n");
                }
                case DOT -> svg.raw("<circle cx=\"" + Svg.num(x + 6) + "\" cy=\"" + Svg.num(cy) + "\" r=\"3.5\" fill=\"" + le.color() + "\"/>\n");
            }
            svg.text(x + 18, y + i * 20 + 2, le.name(), "start", "legend", 0);
        }
        if (shown < entries.size()) svg.text(x, y + shown * 20 + 2, "+" + (entries.size() - shown) + " more (see tooltips)", "start", "note", 0);
    }

    void noData(String why) {
        svg.text((LEFT + right) / 2, (TOP + bottom) / 2, why, "middle", "nodata", 0);
    }

    String close() {
        svg.raw("</svg>\n");
        return svg.toString();
    }

    /** Whether category labels must be rotated to fit under their bands. */
    static boolean rotateLabels(List<String> categories, double plotWidth) {
        int longest = categories.stream().mapToInt(String::length).max().orElse(0);
        return categories.size() > 12 || longest * 6.6 > plotWidth / Math.max(1, categories.size());
    }

    /** Bottom margin that leaves room for (rotated) category labels and the axis title. */
    static double categoryMargin(List<String> categories, double plotWidth) {
        if (!rotateLabels(categories, plotWidth)) return 48;
        int longest = categories.stream().mapToInt(String::length).max().orElse(0);
        return Math.min(130, 36 + longest * 5.8);
    }

    static double legendWidth(List<String> names) {
        if (names.size() < 2) return 0;
        int longest = names.stream().mapToInt(String::length).max().orElse(0);
        return Math.min(220, 30 + longest * 6.6);
    }
}
