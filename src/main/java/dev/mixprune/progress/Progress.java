package dev.mixprune.progress;

/**
 * One long-running task shown on stderr: what (name), how far (done / total unit), rate and ETA.
 * Obtain one from {@link ProgressFactory#start}; call {@link #step(long)} as work completes and
 * {@link #close()} when done (try-with-resources). Implementations are thread-safe so that worker
 * threads may step one shared task.
 */
public sealed interface Progress extends AutoCloseable permits ProgressLines, ProgressBarDisplay, Progress.Silent {

    /** Marks {@code n} more units as done. */
    void step(long n);

    default void step() { step(1); }

    /** A short status shown after the numbers (e.g. the current file or loss); may be empty. */
    void message(String text);

    /** Units done so far. */
    long done();

    /** Ends the display (prints a final line in line mode). Idempotent. */
    @Override void close();

    /** Counts but shows nothing (--quiet, or tests). */
    final class Silent implements Progress {
        private final java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
        @Override public void step(long n) { done.addAndGet(n); }
        @Override public void message(String text) {}
        @Override public long done() { return done.get(); }
        @Override public void close() {}
    }
}
