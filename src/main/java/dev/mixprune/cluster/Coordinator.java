package dev.mixprune.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.mixprune.allocate.CandidateEvaluator;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The coordinator side of {@code --cluster}: the command's process joins the cluster as a lite
 * member (it owns no data, so joining and leaving move nothing, and a killed coordinator takes
 * nothing of the workers' state with it; {@code --resume} continues from its checkpoint), serves
 * its sessions' artifacts to the workers, and spreads work over the worker members
 * ({@link ClusterEvaluator}). It keeps, per worker, how many evaluations it made and how long they
 * took, for the trace.
 */
public final class Coordinator implements AutoCloseable {
    private final ClusterSettings settings;
    private final HazelcastInstance hz;
    private final ArtifactServer artifacts;
    private final Consumer<String> log;
    private final Map<UUID, MemberStats> stats = new LinkedHashMap<>(); // guarded by this

    /** What one worker did for this coordinator. */
    static final class MemberStats {
        final String address;
        long evaluations;
        long windows;            // Fisher windows
        long nanos;
        int threads;
        String note; // why it stopped getting work (left, refused ...), null while fine

        MemberStats(String address) { this.address = address; }
    }

    private Coordinator(ClusterSettings settings, HazelcastInstance hz, ArtifactServer artifacts, Consumer<String> log) {
        this.settings = settings;
        this.hz = hz;
        this.artifacts = artifacts;
        this.log = log;
    }

    /**
     * Joins the cluster as a lite member (on a free port when the settings give none). A coordinator
     * that reaches no worker through {@code --members} would be a cluster of its own, which workers
     * started later would not join (they list each other, not it): it leaves and tries again every
     * few seconds until a worker answers or {@link ClusterSettings#waitWorkers} has passed.
     */
    public static Coordinator join(ClusterSettings s, Consumer<String> log) throws IOException {
        MemberConfig.configureLogging();
        ClusterSettings withPort = s.port() != 0 ? s : s.withPort(freePort(s.bindsAll() ? null : s.bind()));
        ArtifactServer artifacts = new ArtifactServer();
        long deadline = System.nanoTime() + s.waitWorkers().toNanos();
        HazelcastInstance hz;
        while (true) {
            hz = Hazelcast.newHazelcastInstance(MemberConfig.coordinator(withPort, artifacts));
            if (hz.getCluster().getMembers().stream().anyMatch(m -> !m.isLiteMember())) break;
            hz.shutdown();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("cluster " + s.name() + ": no worker answered at " + String.join(", ", s.members()) + " within "
                        + s.waitWorkers().toSeconds() + " s; start them first: `mixprune worker --cluster " + s.name() + " --port P --members "
                        + String.join(",", s.members()) + "`");
            }
            log.accept("cluster " + s.name() + ": no worker answers at " + String.join(", ", s.members()) + " yet; trying again");
            try {
                Thread.sleep(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the cluster's workers", e);
            }
        }
        Coordinator c = new Coordinator(withPort, hz, artifacts, log);
        log.accept("cluster " + s.name() + ": coordinator (lite member) at " + Worker.address(hz.getCluster().getLocalMember())
                + "; " + c.workers().size() + " worker(s): " + c.workerAddresses());
        return c;
    }

    /** A port nobody listens on right now (the member binds it a moment later). */
    public static int freePort(String bind) throws IOException {
        try (ServerSocket ss = new ServerSocket()) {
            ss.setReuseAddress(false);
            ss.bind(bind == null ? new InetSocketAddress(0) : new InetSocketAddress(InetAddress.getByName(bind), 0));
            return ss.getLocalPort();
        }
    }

    public HazelcastInstance instance() { return hz; }

    public ClusterSettings settings() { return settings; }

    ArtifactServer artifacts() { return artifacts; }

    Consumer<String> log() { return log; }

    /** The worker members now in the cluster (full members with role worker), in address order. */
    List<Member> workers() {
        List<Member> out = new ArrayList<>();
        for (Member m : hz.getCluster().getMembers()) {
            if (!m.isLiteMember() && MemberConfig.WORKER.equals(m.getAttribute(MemberConfig.ROLE))) out.add(m);
        }
        out.sort(Comparator.comparing(Worker::address));
        return out;
    }

    String workerAddresses() {
        List<String> a = new ArrayList<>();
        for (Member m : workers()) a.add(Worker.address(m));
        return a.isEmpty() ? "none yet" : String.join(", ", a);
    }

    /** The search's candidates evaluated by the workers; {@code model} is the file the search reads (workers open their own copy). */
    public CandidateEvaluator.Factory searchEvaluators(Path model) { return searchEvaluators(model, 1); }

    /** As {@link #searchEvaluators(Path)}, waiting until {@code readyWorkers} workers are ready before the first evaluation (benchmarks). */
    public CandidateEvaluator.Factory searchEvaluators(Path model, int readyWorkers) {
        return (fitness, scratch) -> ClusterEvaluator.open(this, model, fitness, scratch, readyWorkers);
    }

    synchronized MemberStats stats(Member m) {
        return stats.computeIfAbsent(m.getUuid(), u -> new MemberStats(Worker.address(m)));
    }

    synchronized void recordEvaluation(Member m, long nanos) {
        MemberStats s = stats(m);
        s.evaluations++;
        s.nanos += nanos;
    }

    synchronized void recordWindows(Member m, int windows, long nanos) {
        MemberStats s = stats(m);
        s.windows += windows;
        s.nanos += nanos;
    }

    synchronized void note(Member m, String note) { stats(m).note = note; }

    /** This member's UUID (sessions name their coordinator by it). */
    String localUuid() { return hz.getCluster().getLocalMember().getUuid().toString(); }

    synchronized void threads(Member m, int threads) { stats(m).threads = threads; }

    /** Evaluations per worker so far, in address order (tests, progress). */
    public synchronized Map<String, Long> evaluationsByAddress() {
        Map<String, Long> out = new TreeMap<>();
        for (MemberStats s : stats.values()) out.merge(s.address, s.evaluations, Long::sum);
        return out;
    }

    /**
     * The trace's {@code "cluster"} block: {@code {"name": ..., "members": [{"address", "evaluations"[, "fisher_windows"],
     * "seconds", "threads"[, "note"]}, ...]}} with every worker that was given work or refused it
     * ({@code seconds}: the worker's own time on its tasks).
     */
    public synchronized ObjectNode traceBlock() {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("name", settings.name());
        ArrayNode a = root.putArray("members");
        List<MemberStats> all = new ArrayList<>(stats.values());
        all.sort(Comparator.comparing((MemberStats s) -> s.address));
        for (MemberStats s : all) {
            ObjectNode m = a.addObject();
            m.put("address", s.address).put("evaluations", s.evaluations);
            if (s.windows > 0) m.put("fisher_windows", s.windows);
            m.put("seconds", Math.round(s.nanos / 1e6) / 1e3);
            if (s.threads > 0) m.put("threads", s.threads);
            if (s.note != null) m.put("note", s.note);
        }
        return root;
    }

    @Override public void close() {
        try {
            hz.shutdown();
        } catch (RuntimeException ignored) {
            // already down (e.g. terminated by a test or a signal)
        }
    }
}
