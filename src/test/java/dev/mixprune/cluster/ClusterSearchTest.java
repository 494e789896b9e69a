package dev.mixprune.cluster;

import dev.mixprune.SharedFiles;
import dev.mixprune.allocate.CandidateEvaluator;
import dev.mixprune.allocate.FitnessWindows;
import dev.mixprune.allocate.Granularity;
import dev.mixprune.allocate.InitialPopulation;
import dev.mixprune.allocate.KlFitness;
import dev.mixprune.allocate.Levels;
import dev.mixprune.allocate.MspSearch;
import dev.mixprune.allocate.SearchConfig;
import dev.mixprune.allocate.SearchListener;
import dev.mixprune.allocate.SearchTrace;
import dev.mixprune.allocate.StreamingFisher;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.prune.PruneMethod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * MSP searches on a cluster of in-process members on loopback (a coordinator and two workers, three
 * members; more joining in some tests): the plan, checkpoint and trace are byte for byte those of
 * the same search run in this process alone, also when a worker dies with a candidate in flight,
 * when the coordinator dies and a new one resumes from the checkpoint, when a worker joins in the
 * middle, and when a worker holds another file under the model's name. Ports are picked free at
 * run time and the cluster name is unique, so concurrent test runs do not meet.
 */
class ClusterSearchTest {
    static final int GENERATIONS = 3;
    static final String NAME = "mixprune-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000;

    @TempDir static Path scratch;
    static BlockSource src;
    static List<int[]> stats, fit;
    static Path model;
    static List<Integer> ports = new ArrayList<>();
    static Worker a, b;
    static Outputs local;
    static final List<String> log = Collections.synchronizedList(new ArrayList<>());

    /** The three files a search writes. */
    record Outputs(byte[] plan, byte[] checkpoint, byte[] trace) {}

    @BeforeAll
    static void setUp() throws Exception {
        model = SharedFiles.require(SharedFiles.stories260KBin());
        src = MappedBlockSource.open(model, null);
        int[] stream = FitnessWindows.tokenize(SharedFiles.require(SharedFiles.tinyStoriesCalib()), src.requireTokenizer());
        stats = FitnessWindows.sample(stream, 8, 128, 1);
        fit = FitnessWindows.sample(stream, 8, 128, 2);
        for (int i = 0; i < 6; i++) ports.add(Coordinator.freePort(ClusterSettings.LOOPBACK));
        a = startWorker(0, roots());
        b = startWorker(1, roots());
        local = search(Files.createTempDirectory(scratch, "local"), CandidateEvaluator.Factory.LOCAL, false, SearchListener.NONE);
    }

    @AfterAll
    static void tearDown() {
        if (a != null) a.close();
        if (b != null) b.close();
        if (src != null) src.close();
    }

    static List<Path> roots() { return List.of(SharedFiles.resolve("models")); }

    /** Members list: the two first workers (others join through them). */
    static ClusterSettings settings(int port, List<Path> roots) {
        return new ClusterSettings(NAME, List.of("127.0.0.1:" + ports.get(0), "127.0.0.1:" + ports.get(1)), ClusterSettings.LOOPBACK, port,
                roots, Duration.ofSeconds(60));
    }

    static Worker startWorker(int i, List<Path> roots) {
        return Worker.start(settings(ports.get(i), roots), 1, scratch, log::add);
    }

    static Coordinator coordinator() throws IOException { return Coordinator.join(settings(0, roots()), log::add); }

    static MspSearch.Settings searchSettings() {
        SearchConfig cfg = new SearchConfig(GENERATIONS, 6, 2, new int[]{64, 256}, new int[]{3}, 0.5, 2, 3, 7);
        return new MspSearch.Settings(PruneMethod.WANDA, 0.75, Levels.unstructured(0.025), Granularity.LAYER,
                MspSearch.Init.FISHER, null, InitialPopulation.DEFAULT_STRENGTHS, KlFitness.Kind.KL, cfg, 0.08, 5, 2)
                .withResources(MspSearch.Resources.defaults(scratch));
    }

    static Outputs search(Path dir, CandidateEvaluator.Factory f, boolean resume, SearchListener l) throws IOException {
        Path cp = dir.resolve("plan.json.checkpoint.json"), plan = dir.resolve("plan.json"), trace = dir.resolve("search-trace.json");
        MspSearch.Outcome o = MspSearch.run(src, stats, fit, "t", searchSettings(), cp, resume, l, log::add, f);
        o.plan().save(plan);
        SearchTrace.save(o.result().trace(), trace);
        return new Outputs(Files.readAllBytes(plan), Files.readAllBytes(cp), Files.readAllBytes(trace));
    }

    static void assertSame(Outputs o) {
        assertThat(new String(o.plan())).isEqualTo(new String(local.plan()));
        assertThat(new String(o.checkpoint())).isEqualTo(new String(local.checkpoint()));
        assertThat(new String(o.trace())).isEqualTo(new String(local.trace()));
    }

    @Test
    void threeMembersGiveTheSingleMachinePlanByteForByte(@TempDir Path dir) throws Exception {
        long a0 = a.evaluations(), b0 = b.evaluations();
        try (Coordinator c = coordinator()) {
            Outputs o = search(dir, c.searchEvaluators(model), false, SearchListener.NONE);
            assertSame(o);
            var block = c.traceBlock();
            assertThat(block.get("members")).hasSize(2);
            long total = 0;
            for (var m : block.get("members")) {
                assertThat(m.get("evaluations").asLong()).as("evaluations of " + m.get("address")).isPositive();
                assertThat(m.get("seconds").asDouble()).isPositive();
                total += m.get("evaluations").asLong();
            }
            assertThat(total).isEqualTo(a.evaluations() - a0 + b.evaluations() - b0);
        }
    }

    @Test
    void aSlowerWorkerTakesFewerCandidates(@TempDir Path dir) throws Exception {
        long a0 = a.evaluations(), b0 = b.evaluations();
        b.beforeEvaluation = () -> {
            try {
                Thread.sleep(300); // b is several times slower than a on this tiny model, also on a loaded machine
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (Coordinator c = coordinator()) {
            assertSame(search(dir, c.searchEvaluators(model), false, SearchListener.NONE));
        } finally {
            b.beforeEvaluation = () -> { };
        }
        // Each stage starts with one running and one waiting candidate per worker (6 or 3 candidates
        // here), so b gets at least one or two of every stage whatever its speed: "more" is what holds.
        assertThat(a.evaluations() - a0).isGreaterThan(b.evaluations() - b0);
        assertThat(b.evaluations() - b0).isPositive();
    }

    @Test
    void aWorkerStoppedWithACandidateInFlightLosesNothing(@TempDir Path dir) throws Exception {
        Worker c = startWorker(2, roots());
        AtomicInteger seen = new AtomicInteger();
        c.beforeEvaluation = () -> {
            if (seen.incrementAndGet() == 3) {
                // As a kill -9 looks to the others: connections gone, no goodbye; this evaluation never answers.
                Thread kill = new Thread(() -> c.instance().getLifecycleService().terminate());
                kill.start();
                try {
                    kill.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException("terminated");
            }
        };
        try (Coordinator co = coordinator()) {
            Outputs o = search(dir, co.searchEvaluators(model), false, SearchListener.NONE);
            assertSame(o);
            assertThat(seen.get()).isGreaterThanOrEqualTo(3);
            assertThat(co.traceBlock().toString()).contains("left the cluster");
        } finally {
            c.close();
        }
    }

    @Test
    void aKilledCoordinatorIsResumedFromItsCheckpointOnTheCluster(@TempDir Path dir) throws Exception {
        Coordinator first = coordinator();
        SearchListener killAfterGen1 = p -> {
            if (p.generation() == 1) first.instance().getLifecycleService().terminate();
        };
        assertThatThrownBy(() -> search(dir, first.searchEvaluators(model), false, killAfterGen1)).isInstanceOf(RuntimeException.class);
        first.close();
        assertThat(Files.readString(dir.resolve("plan.json.checkpoint.json"))).contains("\"completed_generation\" : 1");
        try (Coordinator second = coordinator()) {
            Outputs o = search(dir, second.searchEvaluators(model), true, SearchListener.NONE);
            assertSame(o);
        }
        // The dead coordinator's session was dropped by the workers.
        assertThat(a.sessionCount()).isLessThanOrEqualTo(1);
    }

    @Test
    void aWorkerJoiningMidSearchGetsWork(@TempDir Path dir) throws Exception {
        AtomicReference<Worker> late = new AtomicReference<>();
        SearchListener joinAfterGen0 = p -> {
            if (p.generation() == 0) late.set(startWorker(3, roots()));
        };
        try (Coordinator co = coordinator()) {
            Outputs o = search(dir, co.searchEvaluators(model), false, joinAfterGen0);
            assertSame(o);
            assertThat(late.get().evaluations()).isPositive();
            assertThat(co.evaluationsByAddress()).containsKey("127.0.0.1:" + ports.get(3));
        } finally {
            if (late.get() != null) late.get().close();
        }
    }

    @Test
    void fisherWindowsOnTheClusterGiveTheSingleMachineReport(@TempDir Path dir) throws Exception {
        int[][] windows = new int[7][];
        for (int i = 0; i < windows.length; i++) windows[i] = java.util.Arrays.copyOf(stats.get(i), 64);
        StreamingFisher.Options o = StreamingFisher.Options.defaults(dir).withThreads(1);
        String alone = StreamingFisher.compute(src, windows, "test", o, StreamingFisher.Progress.NONE).toJsonString();
        try (Coordinator co = coordinator()) {
            String spread = StreamingFisher.compute(src, windows, "test", o, StreamingFisher.Progress.NONE, new ClusterFisher(co, model)).toJsonString();
            assertThat(spread).isEqualTo(alone);
            long total = 0;
            for (var m : co.traceBlock().get("members")) total += m.path("fisher_windows").asLong();
            assertThat(total).isEqualTo(windows.length);
        }
    }

    @Test
    void aWorkerWithAnotherFileUnderTheModelsNameIsRefused(@TempDir Path dir) throws Exception {
        Path otherRoot = Files.createDirectories(dir.resolve("models"));
        Path copy = Files.createDirectories(otherRoot.resolve("stories260K")).resolve("stories260K.bin");
        byte[] bytes = Files.readAllBytes(model);
        bytes[bytes.length - 1] ^= 1; // one bit of the last weight
        Files.write(copy, bytes);
        Worker bad = startWorker(4, List.of(otherRoot));
        try (Coordinator co = coordinator()) {
            Outputs o = search(dir, co.searchEvaluators(model), false, SearchListener.NONE);
            assertSame(o);
            assertThat(bad.evaluations()).isZero();
            assertThat(co.traceBlock().toString()).contains("refused").contains("checksum");
        } finally {
            bad.close();
        }
    }
}
