package dev.mixprune.progress;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressTest {
    private static final long SEC = 1_000_000_000L;

    @Test
    void linesArePeriodicWithRateAndAnEtaOnlyOnceStable() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong(0);
        ProgressFactory f = ProgressFactory.lines(new PrintStream(buf, true, StandardCharsets.UTF_8), Duration.ofSeconds(5), now::get);
        try (Progress p = f.start("eval boolq", 100, "req")) {
            now.set(2 * SEC);
            p.step(10);                 // before the interval: no line
            now.set(5 * SEC);
            p.step(15);                 // a line, but one rate sample is no stable estimate: no ETA yet
            for (int t = 6; t <= 12; t++) {
                now.set(t * SEC);
                p.step(5);              // 5 req/s from the first unit on
            }
            assertThat(p.done()).isEqualTo(60);
            now.set(20 * SEC);
            p.step(40);
        }
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(5);
        assertThat(lines[0]).isEqualTo("[eval boolq] started: 100 req");
        assertThat(lines[1]).isEqualTo("[eval boolq] 25/100 req (25.0%), 5.0 req/s");
        // 60 done at 10 s... the line at 10 s: 50 done, rate since the first unit (10 at 2 s) = 40 / 8 s = 5/s, 50 left: 10 s.
        assertThat(lines[2]).isEqualTo("[eval boolq] 50/100 req (50.0%), 5.0 req/s, ETA 10s");
        assertThat(lines[3]).startsWith("[eval boolq] 100/100 req (100.0%), 5.0 req/s").doesNotContain("ETA");
        assertThat(lines[4]).isEqualTo("[eval boolq] done: 100 req in 20s, 5.0 req/s");
    }

    @Test
    void etaIgnoresStartUpAndWaitsForAgreement() {
        // 30 s of start-up before the first unit, then 10 units/s: a naive elapsed-based estimate would say ~50 min.
        EtaEstimator e = new EtaEstimator(1000);
        e.record(1, 30 * SEC);
        assertThat(e.secondsLeft(30 * SEC)).isEmpty();
        e.record(11, 31 * SEC);
        e.record(21, 32 * SEC);
        assertThat(e.secondsLeft(32 * SEC)).as("two samples are not enough").isEmpty();
        e.record(31, 33 * SEC);
        assertThat(e.secondsLeft(33 * SEC)).hasValueCloseTo(96.9, org.assertj.core.data.Offset.offset(0.1));
        // Once shown it stays, and time since the last unit counts against it.
        assertThat(e.secondsLeft(35 * SEC)).hasValueCloseTo(94.9, org.assertj.core.data.Offset.offset(0.1));

        // A rate that keeps changing (bursts) gives no estimate.
        EtaEstimator b = new EtaEstimator(1000);
        b.record(1, 0);
        long t = 0;
        int done = 1;
        for (int i = 1; i <= 6; i++) {
            t += SEC;
            done += i % 2 == 0 ? 200 : 1;
            b.record(done, t);
        }
        assertThat(b.secondsLeft(t)).isEmpty();
        // Unknown totals never get one.
        EtaEstimator u = new EtaEstimator(0);
        for (int i = 1; i < 10; i++) u.record(i, i * SEC);
        assertThat(u.secondsLeft(10 * SEC)).isEmpty();
    }

    @Test
    void unknownTotalHasNoPercentOrEta() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong(0);
        ProgressFactory f = ProgressFactory.lines(new PrintStream(buf, true, StandardCharsets.UTF_8), Duration.ofSeconds(1), now::get);
        Progress p = f.start("tokenize", 0, "tok");
        now.set(4 * SEC);
        p.message("file a.txt");
        p.step(400);
        p.close();
        p.close(); // idempotent
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("[tokenize] 400 tok, 100.0 tok/s  file a.txt").doesNotContain("ETA").doesNotContain("%");
        assertThat(out.lines().filter(l -> l.contains("done")).count()).isEqualTo(1);
    }

    @Test
    void quietPrintsNothingButCounts() {
        ProgressFactory q = ProgressFactory.forCli(true);
        assertThat(q.isQuiet()).isTrue();
        try (Progress p = q.start("x", 10, "it")) {
            p.step(3);
            p.step();
            assertThat(p.done()).isEqualTo(4);
        }
    }

    @Test
    void barModeRendersToTheGivenStream() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ProgressFactory f = new ProgressFactory(ProgressFactory.Mode.BAR, new PrintStream(buf, true, StandardCharsets.UTF_8),
                ProgressFactory.DEFAULT_INTERVAL, System::nanoTime);
        try (Progress p = f.start("bar task", 20, "it")) {
            p.step(20);
            assertThat(p.done()).isEqualTo(20);
        }
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("bar task").contains("20/20");
    }

    @Test
    void durations() {
        assertThat(ProgressLines.formatDuration(7.2)).isEqualTo("7s");
        assertThat(ProgressLines.formatDuration(185)).isEqualTo("3m05s");
        assertThat(ProgressLines.formatDuration(7260)).isEqualTo("2h01m");
    }
}
