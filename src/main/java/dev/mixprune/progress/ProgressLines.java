package dev.mixprune.progress;

import java.io.PrintStream;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Plain-line progress for non-terminals: a line when the task starts, at most one line per
 * interval while it runs, and a final line with the total time on close. Lines look like
 * {@code [eval boolq] 1200/3270 req (36.7%), 41.3 req/s, ETA 50s}; the ETA appears once
 * {@link EtaEstimator} finds it stable.
 */
public final class ProgressLines implements Progress {
    private final String name;
    private final long total;
    private final String unit;
    private final PrintStream out;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final long startNanos;
    private final EtaEstimator eta;
    private long done;
    private long lastPrintNanos;
    private String message = "";
    private boolean closed;

    ProgressLines(String name, long total, String unit, PrintStream out, Duration interval, LongSupplier clock) {
        this.name = name;
        this.total = total;
        this.unit = unit;
        this.out = out;
        this.intervalNanos = interval.toNanos();
        this.clock = clock;
        this.startNanos = clock.getAsLong();
        this.lastPrintNanos = startNanos;
        this.eta = new EtaEstimator(total);
        out.println("[" + name + "] started" + (total > 0 ? ": " + total + " " + unit : ""));
    }

    @Override public synchronized void step(long n) {
        done += n;
        long now = clock.getAsLong();
        eta.record(done, now);
        if (!closed && now - lastPrintNanos >= intervalNanos) {
            lastPrintNanos = now;
            out.println(line(now));
        }
    }

    @Override public synchronized void message(String text) { message = text == null ? "" : text; }

    @Override public synchronized long done() { return done; }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        long now = clock.getAsLong();
        out.println("[" + name + "] done: " + done + " " + unit + " in " + formatDuration((now - startNanos) / 1e9)
                + ", " + rate(now) + (message.isEmpty() ? "" : "  " + message));
    }

    /** The status line at time {@code now} (package-visible for tests). */
    String line(long now) {
        StringBuilder sb = new StringBuilder("[").append(name).append("] ").append(done);
        if (total > 0) sb.append('/').append(total);
        sb.append(' ').append(unit);
        if (total > 0) sb.append(String.format(java.util.Locale.ROOT, " (%.1f%%)", 100.0 * done / total));
        sb.append(", ").append(rate(now));
        java.util.OptionalDouble left = eta.secondsLeft(now);
        if (left.isPresent()) sb.append(", ETA ").append(formatDuration(left.getAsDouble()));
        if (!message.isEmpty()) sb.append("  ").append(message);
        return sb.toString();
    }

    private String rate(long now) {
        double secs = (now - startNanos) / 1e9;
        if (secs <= 0) return "- " + unit + "/s";
        double r = done / secs;
        // Slow units (a 7B block takes minutes) keep two significant digits instead of showing 0.0.
        return String.format(java.util.Locale.ROOT, r >= 1 || r == 0 ? "%.1f %s/s" : r >= 0.1 ? "%.2f %s/s" : "%.3f %s/s", r, unit);
    }

    /** "7s", "3m05s", "2h01m". */
    static String formatDuration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + "s";
        if (s < 3600) return String.format(java.util.Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return String.format(java.util.Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
}
