package dev.mixprune.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.SharedFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real thing, with separate processes and SIGKILL: `mixprune worker` processes (1 thread each)
 * and `mixprune search --cluster` processes against a single-process `mixprune search`, on
 * stories260K. A worker killed with kill -9 during a generation; the coordinator killed with kill -9
 * and the search resumed with --resume; a worker started in the middle of a search. Each time the
 * plan and the checkpoint equal the single-process run's byte for byte, and the trace does too
 * apart from its "cluster" block. Minutes on two loaded cores: tagged slow.
 */
@Tag("slow")
class ClusterProcessesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String NAME = "mixprune-proc-" + ProcessHandle.current().pid();

    final List<Proc> procs = new ArrayList<>();

    /** A child JVM whose output lines are collected as they come. */
    record Proc(Process process, List<String> lines) {
        boolean saw(Predicate<String> p) { return lines.stream().anyMatch(p); }

        void await(Predicate<String> p, long seconds, String what) throws InterruptedException {
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            while (!saw(p)) {
                if (!process.isAlive() && !saw(p)) throw new AssertionError(what + ": process ended; output:\n" + String.join("\n", lines));
                if (System.nanoTime() > end) throw new AssertionError(what + ": timed out; output:\n" + String.join("\n", lines));
                Thread.sleep(100);
            }
        }
    }

    @AfterEach
    void stopAll() {
        for (Proc p : procs) p.process().destroyForcibly();
    }

    Proc start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", "-XX:+UseParallelGC", "-Xmx1g",
                "-Dmixprune.projectRoot=" + System.getProperty("mixprune.projectRoot", ""), "-Dmixprune.shared=" + SharedFiles.root()));
        if (args[0].equals("worker")) cmd.add("-Dmixprune.threads=1");
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.mixprune.cli.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
            } catch (IOException ignored) {
                // the process was killed
            }
        });
        t.setDaemon(true);
        t.start();
        Proc proc = new Proc(p, lines);
        procs.add(proc);
        return proc;
    }

    Proc worker(int port, String members) throws Exception {
        Proc w = start("worker", "--cluster", NAME, "--port", Integer.toString(port), "--members", members);
        w.await(l -> l.startsWith("worker 127.0.0.1:" + port), 180, "worker start");
        return w;
    }

    static String[] search(Path dir, String... more) {
        List<String> a = new ArrayList<>(List.of("search", "--model", SharedFiles.stories260KBin().toString(), "--sparsity", "0.75",
                "--generations", "8", "--population", "12", "--stage-tokens", "1024,4096", "--stage-survivors", "3", "--nsamples", "16",
                "--fitness-windows", "16", "--seed", "3", "--out", dir.resolve("plan.json").toString()));
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    static void finish(Proc p) throws Exception {
        assertThat(p.process().waitFor(15, TimeUnit.MINUTES)).isTrue();
        assertThat(p.process().exitValue()).as(String.join("\n", p.lines())).isZero();
    }

    /** Plan and checkpoint byte for byte; the trace without its "cluster" block byte for byte too (re-printed). */
    static JsonNode assertSameAsLocal(Path dir, Path local) throws IOException {
        assertThat(Files.readString(dir.resolve("plan.json"))).isEqualTo(Files.readString(local.resolve("plan.json")));
        assertThat(Files.readString(dir.resolve("plan.json.checkpoint.json"))).isEqualTo(Files.readString(local.resolve("plan.json.checkpoint.json")));
        ObjectNode trace = (ObjectNode) JSON.readTree(dir.resolve("search-trace.json").toFile());
        JsonNode cluster = trace.remove("cluster");
        assertThat(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(trace)).isEqualTo(Files.readString(local.resolve("search-trace.json")));
        assertThat(cluster).isNotNull();
        return cluster;
    }

    static long evaluations(JsonNode cluster, int port) {
        for (JsonNode m : cluster.get("members")) if (m.get("address").asText().equals("127.0.0.1:" + port)) return m.get("evaluations").asLong();
        return 0;
    }

    @Test
    void killedWorkerKilledCoordinatorAndLateWorker(@TempDir Path root) throws Exception {
        int[] ports = new int[4];
        for (int i = 0; i < ports.length; i++) ports[i] = Coordinator.freePort(ClusterSettings.LOOPBACK);
        String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1];
        Path local = Files.createDirectories(root.resolve("local"));
        finish(start(search(local)));

        Proc w0 = worker(ports[0], members), w1 = worker(ports[1], members);
        Proc w2 = worker(ports[2], members);

        // 1. kill -9 of a worker during generation 2: its candidates go to the others.
        Path killed = Files.createDirectories(root.resolve("killed-worker"));
        Proc s = start(search(killed, "--cluster", NAME, "--members", members));
        s.await(l -> l.contains("gen   1/"), 600, "generation 1");
        w2.process().destroyForcibly(); // SIGKILL
        finish(s);
        JsonNode c1 = assertSameAsLocal(killed, local);
        assertThat(evaluations(c1, ports[0]) + evaluations(c1, ports[1])).isPositive();
        assertThat(c1.toString()).contains("left the cluster");

        // 2. kill -9 of the coordinator after generation 1, then --resume on the cluster.
        Path resumed = Files.createDirectories(root.resolve("resumed"));
        Proc first = start(search(resumed, "--cluster", NAME, "--members", members));
        first.await(l -> l.contains("gen   1/"), 600, "generation 1");
        first.process().destroyForcibly();
        first.process().waitFor();
        assertThat(Files.readString(resumed.resolve("plan.json.checkpoint.json"))).contains("completed_generation");
        finish(start(search(resumed, "--cluster", NAME, "--members", members, "--resume")));
        assertSameAsLocal(resumed, local);

        // 3. A worker started after generation 0 gets work.
        Path late = Files.createDirectories(root.resolve("late"));
        Proc s3 = start(search(late, "--cluster", NAME, "--members", members));
        s3.await(l -> l.contains("gen   0/"), 600, "generation 0");
        worker(ports[3], members);
        finish(s3);
        JsonNode c3 = assertSameAsLocal(late, local);
        assertThat(evaluations(c3, ports[3])).as(c3.toString()).isPositive();
        assertThat(w0.process().isAlive() && w1.process().isAlive()).isTrue();
    }
}
