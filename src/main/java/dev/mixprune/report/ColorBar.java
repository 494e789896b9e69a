package dev.mixprune.report;

/** The legend of a {@link ColorScale}: a gradient bar with ticks in percent and a title. */
public record ColorBar(String id, String title, ColorScale scale) implements Chart {
    static final double W = 460, H = 62, X0 = 20, BAR_W = 420, BAR_Y = 26, BAR_H = 12;

    @Override public String svg() {
        Svg s = new Svg();
        String grad = "grad-" + Svg.esc(id);
        s.raw("<svg class=\"chart colorbar\" id=\"chart-" + Svg.esc(id) + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Svg.num(W)
                + "\" height=\"" + Svg.num(H) + "\" viewBox=\"0 0 " + Svg.num(W) + " " + Svg.num(H) + "\" role=\"img\">\n");
        s.raw("<title>" + Svg.esc(title) + "</title>\n");
        s.raw("<defs><linearGradient id=\"" + grad + "\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">");
        for (int i = 0; i <= 20; i++) {
            double t = i / 20.0;
            s.raw("<stop offset=\"" + Svg.num(t) + "\" stop-color=\"" + scale.color(scale.lo() + t * (scale.hi() - scale.lo())) + "\"/>");
        }
        s.raw("</linearGradient></defs>\n");
        s.text(X0, 14, title, "start", "atitle", 0);
        // The bar is one mark (its tooltip gives the range).
        s.raw("<rect class=\"mark\" x=\"" + Svg.num(X0) + "\" y=\"" + Svg.num(BAR_Y) + "\" width=\"" + Svg.num(BAR_W) + "\" height=\"" + Svg.num(BAR_H)
                + "\" fill=\"url(#" + grad + ")\"><title>" + Svg.esc(HtmlReport.pct(scale.lo()) + " to " + HtmlReport.pct(scale.hi())) + "</title></rect>\n");
        Scale.Linear ticks = Scale.Linear.of(100 * scale.lo(), 100 * scale.hi(), X0, X0 + BAR_W, false);
        for (double t : ticks.ticks()) {
            if (t < 100 * scale.lo() - 1e-9 || t > 100 * scale.hi() + 1e-9) continue;
            double px = X0 + BAR_W * scale.position(t / 100);
            s.line(px, BAR_Y + BAR_H, px, BAR_Y + BAR_H + 4, "axis");
            s.text(px, BAR_Y + BAR_H + 16, ticks.label(t) + "%", "middle", "tick", 0);
        }
        s.raw("</svg>\n");
        return s.toString();
    }
}
