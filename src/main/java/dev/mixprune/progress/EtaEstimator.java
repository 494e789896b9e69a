package dev.mixprune.progress;

import java.util.OptionalDouble;

/**
 * Time left for a task, shown only once it is stable. The rate is measured from the first
 * completed unit on (the time before it is start-up: loading, JIT, the first batch's set-up, and
 * would make early estimates wildly long), and an estimate is offered only when the last three
 * predicted finish times, taken at least {@link #SAMPLE_NANOS} apart, agree within 20% of the time
 * left (plus one second) and at least {@link #MIN_NANOS} have passed since the first unit. Once
 * shown it stays (recomputed from the current rate), so the display does not flicker.
 * Thread-safe.
 */
final class EtaEstimator {
    static final long SAMPLE_NANOS = 1_000_000_000L, MIN_NANOS = 2_000_000_000L;

    private final long total;
    private long firstNanos = Long.MIN_VALUE, firstDone;
    private long lastSampleNanos;
    private final double[] finishes = new double[3];
    private int samples;
    private boolean stable;
    private long done, lastNanos;

    EtaEstimator(long total) { this.total = total; }

    /** {@code done} units are complete at time {@code now} (nanoseconds). */
    synchronized void record(long done, long now) {
        this.done = done;
        this.lastNanos = now;
        if (done <= 0 || total <= 0) return;
        if (firstNanos == Long.MIN_VALUE) {
            firstNanos = now;
            firstDone = done;
            lastSampleNanos = now;
            return;
        }
        if (now - lastSampleNanos < SAMPLE_NANOS) return;
        lastSampleNanos = now;
        double rate = rate(now);
        if (!(rate > 0)) return;
        finishes[samples % 3] = now / 1e9 + (total - done) / rate;
        samples++;
        if (!stable && samples >= 3 && now - firstNanos >= MIN_NANOS) {
            double lo = Math.min(finishes[0], Math.min(finishes[1], finishes[2])), hi = Math.max(finishes[0], Math.max(finishes[1], finishes[2]));
            double left = (total - done) / rate;
            stable = hi - lo <= 0.2 * left + 1.0;
        }
    }

    /** Units per second since the first completed unit (NaN before two observations). */
    private double rate(long now) {
        long dt = now - firstNanos;
        return dt <= 0 ? Double.NaN : (done - firstDone) / (dt / 1e9);
    }

    /** Seconds left, or empty while the estimate is not (yet) stable or the task is done. */
    synchronized OptionalDouble secondsLeft(long now) {
        if (!stable || done >= total) return OptionalDouble.empty();
        double rate = rate(lastNanos);
        if (!(rate > 0)) return OptionalDouble.empty();
        // Time already spent since the last completed unit counts against the estimate.
        double left = (total - done) / rate - Math.max(0, (now - lastNanos) / 1e9);
        return OptionalDouble.of(Math.max(0, left));
    }
}
