package dev.mixprune.tensor;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ThreadTeamTest {

    @Test
    void everyIndexRunsExactlyOnce() {
        try (ThreadTeam team = new ThreadTeam(3, "t")) {
            for (int total : new int[]{1, 2, 5, 11, 1000, 12345}) {
                int[] hits = new int[total];
                team.forRange(0, total, 7, (lo, hi) -> {
                    for (int i = lo; i < hi; i++) hits[i]++;
                });
                for (int h : hits) assertThat(h).isEqualTo(1);
            }
        }
    }

    @Test
    void offsetRangeAndChunks() {
        try (ThreadTeam team = new ThreadTeam(2, "t")) {
            AtomicLong sum = new AtomicLong();
            AtomicInteger pieces = new AtomicInteger();
            team.forChunks(10, 110, 7, (lo, hi) -> {
                pieces.incrementAndGet();
                for (int i = lo; i < hi; i++) sum.addAndGet(i);
            });
            assertThat(pieces.get()).isEqualTo(7);
            assertThat(sum.get()).isEqualTo((10 + 109) * 100 / 2);
        }
    }

    @Test
    void usesMoreThanOneThread() throws Exception {
        try (ThreadTeam team = new ThreadTeam(3, "t")) {
            var names = ConcurrentHashMap.<String>newKeySet();
            java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(3);
            // Three chunks that wait for each other can only finish if three threads run them.
            team.forChunks(0, 3, 3, (lo, hi) -> {
                names.add(Thread.currentThread().getName());
                try {
                    barrier.await(20, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(names).hasSize(3);
        }
    }

    @Test
    void nestedCallsRunInlineWithoutDeadlock() {
        try (ThreadTeam team = new ThreadTeam(2, "t")) {
            AtomicLong sum = new AtomicLong();
            team.forEach(8, i -> {
                assertThat(ThreadTeam.insideTask()).isTrue();
                team.forEach(100, j -> sum.addAndGet(j));
            });
            assertThat(sum.get()).isEqualTo(8L * 99 * 100 / 2);
            assertThat(ThreadTeam.insideTask()).isFalse();
        }
    }

    @Test
    void callsFromManyOutsideThreadsAreServed() throws Exception {
        try (ThreadTeam team = new ThreadTeam(2, "t")) {
            AtomicLong sum = new AtomicLong();
            Thread[] ts = new Thread[4];
            for (int t = 0; t < ts.length; t++) {
                ts[t] = new Thread(() -> {
                    for (int rep = 0; rep < 50; rep++) team.forEach(10, j -> sum.addAndGet(1));
                });
                ts[t].start();
            }
            for (Thread t : ts) t.join(30_000);
            assertThat(sum.get()).isEqualTo(4L * 50 * 10);
        }
    }

    @Test
    void exceptionIsRethrownAfterAllChunksEnd() {
        try (ThreadTeam team = new ThreadTeam(2, "t")) {
            assertThatThrownBy(() -> team.forEach(10, i -> {
                if (i == 3) throw new IllegalStateException("boom " + i);
            })).isInstanceOf(IllegalStateException.class).hasMessage("boom 3");
            // still usable afterwards
            AtomicInteger n = new AtomicInteger();
            team.forEach(10, i -> n.incrementAndGet());
            assertThat(n.get()).isEqualTo(10);
        }
    }

    @Test
    void sizeOneAndClosedTeamsStillCompute() {
        ThreadTeam one = new ThreadTeam(1, "t");
        AtomicInteger n = new AtomicInteger();
        one.forEach(5, i -> n.incrementAndGet());
        assertThat(n.get()).isEqualTo(5);
        ThreadTeam two = new ThreadTeam(2, "t");
        two.close();
        two.forEach(5, i -> n.incrementAndGet());
        assertThat(n.get()).isEqualTo(10);
        assertThatThrownBy(() -> new ThreadTeam(0, "t")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sharedTeamHasProcessorCount() {
        assertThat(ThreadTeam.shared().size()).isGreaterThanOrEqualTo(1);
        assertThat(ThreadTeam.shared()).isSameAs(ThreadTeam.shared());
    }
}
