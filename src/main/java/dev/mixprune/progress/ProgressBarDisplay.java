package dev.mixprune.progress;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Live bar on a terminal (me.tongfei progressbar): stage name, bar, done/total, rate, elapsed
 * time and ETA ("?" until {@link EtaEstimator} finds it stable). Drawn on the given stream (stderr)
 * at the terminal's width, redrawn in place.
 */
public final class ProgressBarDisplay implements Progress {
    private final ProgressBar bar;
    private final EtaEstimator eta;
    private boolean closed;

    ProgressBarDisplay(String name, long total, String unit, PrintStream err, int columns) {
        this.eta = new EtaEstimator(total);
        ProgressBarBuilder b = new ProgressBarBuilder()
                .setTaskName(name)
                .setInitialMax(total > 0 ? total : -1)
                .setUnit(" " + unit, 1)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .showSpeed()
                .setSpeedUnit(ChronoUnit.SECONDS)
                .setEtaFunction(state -> toDuration(eta.secondsLeft(System.nanoTime())))
                .setConsumer(new ConsoleProgressBarConsumer(err, Math.max(20, columns - 1)));
        this.bar = b.build();
    }

    private static Optional<Duration> toDuration(OptionalDouble s) {
        return s.isPresent() ? Optional.of(Duration.ofSeconds(Math.round(s.getAsDouble()))) : Optional.empty();
    }

    @Override public synchronized void step(long n) {
        bar.stepBy(n);
        eta.record(bar.getCurrent(), System.nanoTime());
    }

    @Override public void message(String text) { bar.setExtraMessage(text == null || text.isEmpty() ? "" : "  " + text); }

    @Override public long done() { return bar.getCurrent(); }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        bar.close();
    }
}
