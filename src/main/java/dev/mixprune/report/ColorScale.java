package dev.mixprune.report;

import java.util.Locale;

/**
 * A sequential colour scale over [lo, hi] (reversed viridis: light yellow for the low end, dark
 * purple for the high end; perceptually uniform and readable in grey and by colour-blind readers).
 * One scale is shared by every plan heatmap of a page so that equal colours mean equal sparsity.
 */
public record ColorScale(double lo, double hi) {
    /** Viridis at 0, 1/9, ..., 1 (matplotlib's colormap, sampled). */
    private static final int[] VIRIDIS = {0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xb5de2b, 0xfde725};

    public ColorScale {
        if (!Double.isFinite(lo) || !Double.isFinite(hi) || !(hi > lo)) throw new IllegalArgumentException("colour scale needs lo < hi, got " + lo + ", " + hi);
    }

    /** A scale covering the values, widened to whole percent steps; a single value gets ±2.5 points around it. */
    public static ColorScale covering(double min, double max) {
        if (!Double.isFinite(min) || !Double.isFinite(max)) return new ColorScale(0, 1);
        double lo = Math.floor(min * 40) / 40, hi = Math.ceil(max * 40) / 40;
        if (!(hi > lo)) { lo = Math.max(0, min - 0.025); hi = Math.min(1, max + 0.025); }
        if (!(hi > lo)) { lo = 0; hi = 1; }
        return new ColorScale(lo, hi);
    }

    /** Position in [0, 1] of a value (clamped). */
    double position(double v) { return Math.max(0, Math.min(1, (v - lo) / (hi - lo))); }

    /** The colour of a value: high values dark. */
    public String color(double v) {
        double t = 1 - position(v);
        double f = t * (VIRIDIS.length - 1);
        int i = Math.min(VIRIDIS.length - 2, (int) Math.floor(f));
        double u = f - i;
        int a = VIRIDIS[i], b = VIRIDIS[i + 1];
        int r = mix(a >> 16, b >> 16, u), g = mix((a >> 8) & 0xff, (b >> 8) & 0xff, u), bl = mix(a & 0xff, b & 0xff, u);
        return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, bl);
    }

    /** Text colour that reads on {@link #color(double)}: white on the dark half, near-black on the light half. */
    public String textColor(double v) {
        String c = color(v);
        int rgb = Integer.parseInt(c.substring(1), 16);
        double lum = (0.2126 * (rgb >> 16) + 0.7152 * ((rgb >> 8) & 0xff) + 0.0722 * (rgb & 0xff)) / 255;
        return lum < 0.45 ? "#fff" : "#111";
    }

    private static int mix(int a, int b, double u) { return (int) Math.round((a & 0xff) + ((b & 0xff) - (a & 0xff)) * u); }
}
