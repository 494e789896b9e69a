package dev.mixprune.progress;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.time.temporal.ChronoUnit;

/** Live bar on a terminal (me.tongfei progressbar): name, bar, done/total, rate, ETA. */
public final class ProgressBarDisplay implements Progress {
    private final ProgressBar bar;
    private boolean closed;

    ProgressBarDisplay(String name, long total, String unit, PrintStream err) {
        ProgressBarBuilder b = new ProgressBarBuilder()
                .setTaskName(name)
                .setInitialMax(total > 0 ? total : -1)
                .setUnit(" " + unit, 1)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .showSpeed()
                .setSpeedUnit(ChronoUnit.SECONDS)
                .setConsumer(new ConsoleProgressBarConsumer(err));
        this.bar = b.build();
    }

    @Override public void step(long n) { bar.stepBy(n); }

    @Override public void message(String text) { bar.setExtraMessage(text == null ? "" : text); }

    @Override public long done() { return bar.getCurrent(); }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        bar.close();
    }
}
