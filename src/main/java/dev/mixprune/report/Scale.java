package dev.mixprune.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Maps data values to pixels along one axis and chooses readable tick values. */
sealed interface Scale permits Scale.Linear, Scale.Log {

    double map(double v);

    List<Double> ticks();

    String label(double v);

    /** Whether a data value can be drawn on this scale. */
    boolean accepts(double v);

    /**
     * Linear from [lo, hi] (widened to nice tick bounds) to pixels [p0, p1].
     */
    record Linear(double lo, double hi, double p0, double p1, double step) implements Scale {
        static Linear of(double min, double max, double p0, double p1, boolean includeZero) {
            if (includeZero) { min = Math.min(min, 0); max = Math.max(max, 0); }
            if (!(max > min)) { double pad = min == 0 ? 1 : Math.abs(min) * 0.1; min -= pad; max += pad; }
            double step = niceStep((max - min) / 5);
            double lo = Math.floor(min / step) * step, hi = Math.ceil(max / step) * step;
            return new Linear(lo, hi, p0, p1, step);
        }

        @Override public double map(double v) { return p0 + (v - lo) / (hi - lo) * (p1 - p0); }

        @Override public List<Double> ticks() {
            List<Double> t = new ArrayList<>();
            long n = Math.round((hi - lo) / step);
            for (long i = 0; i <= n; i++) t.add(lo + i * step);
            return t;
        }

        @Override public String label(double v) {
            if (Math.abs(v) < step * 1e-6) return "0";
            int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
            if (Math.abs(v) >= 1e5 || decimals > 4) return String.format(Locale.ROOT, "%.2g", v);
            return String.format(Locale.ROOT, "%." + decimals + "f", v);
        }

        @Override public boolean accepts(double v) { return Double.isFinite(v); }
    }

    /** Base-10 logarithmic from [lo, hi] (whole decades) to pixels; positive values only. */
    record Log(double lo, double hi, double p0, double p1) implements Scale {
        static Log of(double min, double max, double p0, double p1) {
            if (!(min > 0)) min = max > 0 ? max / 10 : 1;
            double lo = Math.pow(10, Math.floor(Math.log10(min)));
            double hi = Math.pow(10, Math.ceil(Math.log10(max)));
            if (!(hi > lo)) hi = lo * 10;
            return new Log(lo, hi, p0, p1);
        }

        @Override public double map(double v) {
            return p0 + (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * (p1 - p0);
        }

        /** Decades, plus 2x and 5x when the range spans at most two decades. */
        @Override public List<Double> ticks() {
            List<Double> t = new ArrayList<>();
            int d0 = (int) Math.round(Math.log10(lo)), d1 = (int) Math.round(Math.log10(hi));
            boolean fine = d1 - d0 <= 2;
            for (int d = d0; d <= d1; d++) {
                double p = Math.pow(10, d);
                t.add(p);
                if (fine && d < d1) { t.add(2 * p); t.add(5 * p); }
            }
            return t;
        }

        @Override public String label(double v) {
            if (v >= 1e5 || v < 1e-3) return String.format(Locale.ROOT, "%.0e", v);
            if (v >= 1) return String.format(Locale.ROOT, "%.0f", v);
            return String.format(Locale.ROOT, "%s", Double.toString(v).replaceAll("0+$", ""));
        }

        @Override public boolean accepts(double v) { return Double.isFinite(v) && v > 0; }
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        if (!(raw > 0) || !Double.isFinite(raw)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / p;
        double m = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
        return m * p;
    }
}
