package dev.mixprune.report;

import java.util.Locale;

/**
 * A tiny SVG/HTML text builder. Every coordinate goes through {@link #num}, which refuses NaN and
 * infinities, so a chart can never contain a NaN coordinate (charts drop non-finite data first).
 */
final class Svg {
    private final StringBuilder sb = new StringBuilder();

    static String esc(String s) {
        StringBuilder r = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> r.append("&lt;");
                case '>' -> r.append("&gt;");
                case '&' -> r.append("&amp;");
                case '"' -> r.append("&quot;");
                case '\'' -> r.append("&#39;");
                default -> r.append(c);
            }
        }
        return r.toString();
    }

    /** A coordinate with 2 decimals; non-finite values are a bug in the caller. */
    static String num(double v) {
        if (!Double.isFinite(v)) throw new IllegalStateException("non-finite SVG coordinate " + v);
        String s = String.format(Locale.ROOT, "%.2f", v);
        if (s.endsWith(".00")) s = s.substring(0, s.length() - 3);
        return s.equals("-0") ? "0" : s;
    }

    Svg raw(String s) { sb.append(s); return this; }

    Svg line(double x1, double y1, double x2, double y2, String cls) {
        sb.append("<line x1=\"").append(num(x1)).append("\" y1=\"").append(num(y1)).append("\" x2=\"").append(num(x2))
                .append("\" y2=\"").append(num(y2)).append("\" class=\"").append(cls).append("\"/>\n");
        return this;
    }

    /** A rectangle; one with a title is a data mark (class "mark"), one without is decoration (legend swatch). */
    Svg rect(double x, double y, double w, double h, String fill, String title) {
        sb.append(title != null ? "<rect class=\"mark\" x=\"" : "<rect x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" width=\"").append(num(Math.max(0, w)))
                .append("\" height=\"").append(num(Math.max(0, h))).append("\" fill=\"").append(fill).append("\">");
        if (title != null) sb.append("<title>").append(esc(title)).append("</title>");
        sb.append("</rect>\n");
        return this;
    }

    /** A line in a given colour (error bars, reference lines); {@code dash} like "6 4", or null for solid. */
    Svg stroke(double x1, double y1, double x2, double y2, String color, double width, String dash, String title) {
        sb.append("<line x1=\"").append(num(x1)).append("\" y1=\"").append(num(y1)).append("\" x2=\"").append(num(x2))
                .append("\" y2=\"").append(num(y2)).append("\" stroke=\"").append(color).append("\" stroke-width=\"").append(num(width)).append('"');
        if (dash != null) sb.append(" stroke-dasharray=\"").append(dash).append('"');
        if (title != null) sb.append("><title>").append(esc(title)).append("</title></line>\n");
        else sb.append("/>\n");
        return this;
    }

    /** A filled cell with a thin white border (heatmaps). */
    Svg cell(double x, double y, double w, double h, String fill, String title) {
        sb.append("<rect class=\"mark\" x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" width=\"").append(num(Math.max(0, w)))
                .append("\" height=\"").append(num(Math.max(0, h))).append("\" fill=\"").append(fill).append("\" stroke=\"#fff\" stroke-width=\"1\">");
        if (title != null) sb.append("<title>").append(esc(title)).append("</title>");
        sb.append("</rect>\n");
        return this;
    }

    Svg circle(double cx, double cy, double r, String fill, String title) {
        sb.append("<circle class=\"mark\" cx=\"").append(num(cx)).append("\" cy=\"").append(num(cy)).append("\" r=\"").append(num(r))
                .append("\" fill=\"").append(fill).append("\">");
        if (title != null) sb.append("<title>").append(esc(title)).append("</title>");
        sb.append("</circle>\n");
        return this;
    }

    Svg polyline(double[] xs, double[] ys, String stroke) { return polyline(xs, ys, stroke, 2, null); }

    /** A line through the points; {@code dash} like "6 4", or null for solid. */
    Svg polyline(double[] xs, double[] ys, String stroke, double width, String dash) {
        sb.append("<polyline class=\"mark\" fill=\"none\" stroke=\"").append(stroke).append("\" stroke-width=\"").append(num(width)).append('"');
        if (dash != null) sb.append(" stroke-dasharray=\"").append(dash).append('"');
        sb.append(" points=\"");
        for (int i = 0; i < xs.length; i++) {
            if (i > 0) sb.append(' ');
            sb.append(num(xs[i])).append(',').append(num(ys[i]));
        }
        sb.append("\"/>\n");
        return this;
    }

    /** anchor: start | middle | end; rotate: degrees about (x, y), 0 for none. */
    Svg text(double x, double y, String text, String anchor, String cls, double rotate) {
        sb.append("<text x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" text-anchor=\"").append(anchor).append('"');
        if (cls != null) sb.append(" class=\"").append(cls).append('"');
        if (rotate != 0) sb.append(" transform=\"rotate(").append(num(rotate)).append(' ').append(num(x)).append(' ').append(num(y)).append(")\"");
        sb.append('>').append(esc(text)).append("</text>\n");
        return this;
    }

    @Override public String toString() { return sb.toString(); }
}
