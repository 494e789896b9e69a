package dev.mixprune.progress;

import java.io.PrintStream;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Progress settings, passed explicitly to whatever runs long (no global state). Commands build
 * one from their {@code --quiet} flag with {@link #forCli(boolean)}; library code and tests take
 * it as a parameter and use {@link #quiet()} when they have none.
 *
 * @param mode        how to display
 * @param err         where to display (stderr for commands)
 * @param interval    time between plain lines in {@link Mode#LINES} mode
 * @param nanoClock   time source (System::nanoTime; injectable for tests)
 * @param columns     width of the terminal in {@link Mode#BAR} mode
 */
public record ProgressFactory(Mode mode, PrintStream err, Duration interval, LongSupplier nanoClock, int columns) {

    public enum Mode {
        /** Live bar redrawn in place (stderr is a terminal, {@link Terminal}). */
        BAR,
        /** A plain line every {@code interval} and one at the end (stderr is a file or pipe). */
        LINES,
        /** Nothing. */
        QUIET
    }

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

    public ProgressFactory(Mode mode, PrintStream err, Duration interval, LongSupplier nanoClock) {
        this(mode, err, interval, nanoClock, Terminal.DEFAULT_COLUMNS);
    }

    public ProgressFactory {
        if (mode == null || err == null || interval == null || nanoClock == null) throw new IllegalArgumentException("null progress setting");
        if (interval.isNegative()) throw new IllegalArgumentException("negative progress interval " + interval);
    }

    /**
     * What a command uses: nothing with --quiet, a live bar when stderr is a terminal (whatever
     * stdout is: {@link Terminal#stderrIsTerminal()}), plain periodic lines otherwise.
     */
    public static ProgressFactory forCli(boolean quiet) {
        Mode m = quiet ? Mode.QUIET : Terminal.stderrIsTerminal() ? Mode.BAR : Mode.LINES;
        return new ProgressFactory(m, System.err, DEFAULT_INTERVAL, System::nanoTime, m == Mode.BAR ? Terminal.columns() : Terminal.DEFAULT_COLUMNS);
    }

    /** As {@link #forCli(boolean)} for a command whose stderr may have been replaced (tests): lines to that stream unless it is System.err. */
    public static ProgressFactory forCli(boolean quiet, PrintStream err) {
        if (err == System.err) return forCli(quiet);
        return quiet ? quiet() : lines(err, DEFAULT_INTERVAL, System::nanoTime);
    }

    public static ProgressFactory quiet() {
        return new ProgressFactory(Mode.QUIET, System.err, DEFAULT_INTERVAL, System::nanoTime);
    }

    /** Plain lines to {@code out} (tests, logs). */
    public static ProgressFactory lines(PrintStream out, Duration interval, LongSupplier nanoClock) {
        return new ProgressFactory(Mode.LINES, out, interval, nanoClock);
    }

    public boolean isQuiet() { return mode == Mode.QUIET; }

    /** ANSI: carriage return and erase to the end of the line (removes a bar drawn on it). */
    public static final String CLEAR_LINE = "\r\033[K";

    /**
     * Prints a log line on {@link #err} that does not garble a live bar: in {@link Mode#BAR} the bar's
     * line is erased first (the bar redraws itself below within a quarter of a second). Nothing in
     * {@link Mode#QUIET}.
     */
    public void log(String line) {
        if (mode == Mode.QUIET) return;
        err.println(mode == Mode.BAR ? CLEAR_LINE + line : line);
        err.flush();
    }

    /**
     * Starts showing a task.
     *
     * @param name  what is being done ("wikitext ppl", "fisher")
     * @param total units to do, or a value <= 0 when unknown (then no percentage and no ETA)
     * @param unit  unit name ("tok", "req", "window")
     */
    public Progress start(String name, long total, String unit) {
        return switch (mode) {
            case QUIET -> new Progress.Silent();
            case LINES -> new ProgressLines(name, total, unit, err, interval, nanoClock);
            case BAR -> new ProgressBarDisplay(name, total, unit, err, columns);
        };
    }
}
