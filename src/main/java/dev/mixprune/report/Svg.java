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

    Svg rect(double x, double y, double w, double h, String fill, String title) {
        sb.append("<rect x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" width=\"").append(num(Math.max(0, w)))
                .append("\" height=\"").append(num(Math.max(0, h))).append("\" fill=\"").append(fill).append("\">");
        if (title != null) sb.append("<title>").append(esc(title)).append("</title>");
        sb.append("</rect>\n");
        return this;
    }

    Svg circle(double cx, double cy, double r, String fill, String title) {
        sb.append("<circle cx=\"").append(num(cx)).append("\" cy=\"").append(num(cy)).append("\" r=\"").append(num(r))
                .append("\" fill=\"").append(fill).append("\">");
        if (title != null) sb.append("<title>").append(esc(title)).append("</title>");
        sb.append("</circle>\n");
        return this;
    }

    Svg polyline(double[] xs, double[] ys, String stroke) {
        sb.append("<polyline fill=\"none\" stroke=\"").append(stroke).append("\" stroke-width=\"2\" points=\"");
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
