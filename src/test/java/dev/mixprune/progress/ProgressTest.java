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
    void linesArePeriodicWithRateAndEta() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong(0);
        ProgressFactory f = ProgressFactory.lines(new PrintStream(buf, true, StandardCharsets.UTF_8), Duration.ofSeconds(5), now::get);
        try (Progress p = f.start("eval boolq", 100, "req")) {
            now.set(2 * SEC);
            p.step(10);                 // before the interval: no line
            now.set(5 * SEC);
            p.step(15);                 // 25 done after 5 s: 5 req/s, 75 left: ETA 15 s
            now.set(6 * SEC);
            p.step(5);                  // within the next interval: no line
            assertThat(p.done()).isEqualTo(30);
            now.set(10 * SEC);
            p.step(70);
        }
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(4);
        assertThat(lines[0]).isEqualTo("[eval boolq] started: 100 req");
        assertThat(lines[1]).isEqualTo("[eval boolq] 25/100 req (25.0%), 5.0 req/s, ETA 15s");
        assertThat(lines[2]).startsWith("[eval boolq] 100/100 req (100.0%), 10.0 req/s");
        assertThat(lines[3]).isEqualTo("[eval boolq] done: 100 req in 10s, 10.0 req/s");
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
