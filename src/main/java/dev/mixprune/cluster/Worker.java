package dev.mixprune.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.mixprune.BadInputException;
import dev.mixprune.allocate.KlFitness;
import dev.mixprune.allocate.LevelMasks;
import dev.mixprune.allocate.StreamingFisher;
import dev.mixprune.allocate.TokenSample;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.resources.ResourcePlan;
import dev.mixprune.resources.WorkDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A worker member ({@code mixprune worker}): joins the cluster and serves the coordinators'
 * sessions. For each session it checks its own copy of the model (found under its models roots by
 * the coordinator's relative reference, refused unless its checksum equals the coordinator's),
 * fetches the session's artifacts from the coordinator into a private scratch directory, checks
 * their checksums, and rebuilds the coordinator's fitness from them ({@link KlFitness#restore});
 * then it evaluates candidates, one at a time, as the coordinator sends them. Opened models are
 * cached per path and checksum; a session ends when its coordinator leaves the cluster or starts
 * another session.
 */
public final class Worker implements AutoCloseable {
    static final String CONTEXT_KEY = "mixprune.worker";

    private final ModelRoots roots;
    private final Path scratch;
    private final int threads;
    private final Consumer<String> log;
    private final Map<String, Session> sessions = new LinkedHashMap<>();        // guarded by this
    private final Map<String, BlockSource> models = new HashMap<>();            // "realPath|sha256", guarded by this
    private HazelcastInstance hz;
    /** Runs before each evaluation (tests: stop the member while a candidate is in flight). */
    volatile Runnable beforeEvaluation = () -> { };
    private final AtomicLong evaluations = new AtomicLong();

    /** A prepared session: the checked model; for a search also the rebuilt fitness and its files (null otherwise). */
    private record Session(String id, UUID coordinator, BlockSource source, KlFitness fitness, WorkDir work) {}

    private Worker(ModelRoots roots, Path scratch, int threads, Consumer<String> log) {
        this.roots = roots;
        this.scratch = scratch;
        this.threads = threads;
        this.log = log;
    }

    /**
     * Starts a worker member and joins the cluster.
     *
     * @param threads threads one evaluation uses (reported to the coordinator; the kernels' team size is set by the launcher)
     * @param scratch parent directory of the sessions' artifact copies
     */
    public static Worker start(ClusterSettings s, int threads, Path scratch, Consumer<String> log) {
        if (s.port() == 0) throw new IllegalArgumentException("--port: a worker needs a port (the one the other members list)");
        MemberConfig.configureLogging();
        Worker w = new Worker(s.roots(), scratch, threads, log);
        w.hz = Hazelcast.newHazelcastInstance(MemberConfig.worker(s, threads, w));
        w.hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override public void memberAdded(MembershipEvent e) { log.accept("worker: member joined " + describe(e.getMember()) + "; " + w.membersLine()); }

            @Override public void memberRemoved(MembershipEvent e) {
                log.accept("worker: member left " + describe(e.getMember()) + "; " + w.membersLine());
                w.coordinatorLeft(e.getMember().getUuid());
            }
        });
        return w;
    }

    static Worker of(HazelcastInstance hz) {
        Object o = hz.getUserContext().get(CONTEXT_KEY);
        if (!(o instanceof Worker w)) throw new IllegalStateException("this member is not a mixprune worker");
        return w;
    }

    public HazelcastInstance instance() { return hz; }

    /** "host:port" this member listens on. */
    public String address() { return address(hz.getCluster().getLocalMember()); }

    /** The members this worker sees, one phrase. */
    public String membersLine() {
        List<String> all = new ArrayList<>();
        for (Member m : hz.getCluster().getMembers()) all.add(describe(m));
        return all.size() + " member(s): " + String.join(", ", all);
    }

    static String address(Member m) { return m.getAddress().getHost() + ":" + m.getAddress().getPort(); }

    static String describe(Member m) {
        String role = m.getAttribute(MemberConfig.ROLE);
        return address(m) + " (" + (role == null ? "unknown" : role) + (m.localMember() ? ", this" : "") + ")";
    }

    /** Checks the model, fetches and checks the artifacts, rebuilds the fitness. Idempotent per session. */
    synchronized PrepareTask.Prepared prepare(SessionSpec spec) throws IOException {
        long t0 = System.nanoTime();
        if (sessions.containsKey(spec.id)) return new PrepareTask.Prepared(0, threads);
        NumericProfile mine = NumericProfile.current();
        if (!mine.wire().equals(spec.profile)) {
            throw refuse(spec, "numeric profile differs: this worker has " + mine.text() + ", the coordinator "
                    + NumericProfile.parse(spec.profile).text() + "; fitness values could differ in the last bits, so the plan would not be "
                    + "the single-machine plan (run members with the same JDK and CPU vector width)");
        }
        UUID coordinator = UUID.fromString(spec.coordinator);
        // One session per coordinator at a time: a new one replaces the old.
        for (Session s : List.copyOf(sessions.values())) if (s.coordinator().equals(coordinator)) end(s, "replaced by session " + spec.id);

        Path model = roots.resolve(spec.model);
        long th = System.nanoTime();
        String sha = ModelDigest.of(model);
        double hashSecs = (System.nanoTime() - th) / 1e9;
        if (!sha.equals(spec.modelSha256)) {
            throw refuse(spec, "model '" + spec.model + "' (" + model + ") has checksum " + sha.substring(0, 16) + "..., the coordinator's "
                    + spec.modelSha256.substring(0, Math.min(16, spec.modelSha256.length())) + "...: this is another file; refused");
        }
        BlockSource source = models.get(model + "|" + sha);
        if (source == null) {
            source = MappedBlockSource.openWeights(model);
            models.put(model + "|" + sha, source);
        }
        if (!spec.search) {
            sessions.put(spec.id, new Session(spec.id, coordinator, source, null, null));
            double secs = (System.nanoTime() - t0) / 1e9;
            log.accept(String.format(Locale.ROOT, "worker: session %s ready in %.1f s: model %s checked (sha256 %s..., %.1f s)",
                    spec.id, secs, spec.model, sha.substring(0, 12), hashSecs));
            return new PrepareTask.Prepared(secs, threads);
        }

        long total = 0;
        for (SessionSpec.Artifact a : spec.artifacts) total += a.bytes();
        WorkDir work = WorkDir.create(scratch, total, "session " + spec.id + "'s artifacts");
        boolean ok = false;
        try {
            long tf = System.nanoTime();
            Map<String, Path> files = fetch(spec, coordinator, work);
            double fetchSecs = (System.nanoTime() - tf) / 1e9;
            SessionSpec.Artifact hdr = spec.artifact(SessionSpec.MASKS_HEADER);
            if (hdr == null) throw refuse(spec, "no masks header among the artifacts");
            KlFitness.Snapshot snap = new KlFitness.Snapshot(Arrays.asList(spec.windows), spec.options, spec.dataId,
                    new LevelMasks.Portable(Files.readAllBytes(files.get(SessionSpec.MASKS_HEADER)), files.get(SessionSpec.MASKS_DATA)),
                    files.get(SessionSpec.DENSE_TARGETS), spec.heapLimit);
            checkWindows(spec, source.config().vocabSize());
            KlFitness fitness = KlFitness.restore(source, snap);
            if (!fitness.describe().equals(spec.fitnessDescription)) {
                fitness.closeMasks();
                throw refuse(spec, "rebuilt fitness '" + fitness.describe() + "' is not the coordinator's '" + spec.fitnessDescription + "'");
            }
            sessions.put(spec.id, new Session(spec.id, coordinator, source, fitness, work));
            ok = true;
            double secs = (System.nanoTime() - t0) / 1e9;
            log.accept(String.format(Locale.ROOT, "worker: session %s ready in %.1f s: model %s checked (sha256 %s..., %.1f s), %s of artifacts fetched in %.1f s",
                    spec.id, secs, spec.model, sha.substring(0, 12), hashSecs, ResourcePlan.human(total), fetchSecs));
            return new PrepareTask.Prepared(secs, threads);
        } finally {
            if (!ok) work.close();
        }
    }

    private BadInputException refuse(SessionSpec spec, String why) {
        log.accept("worker: session " + spec.id + " refused: " + why);
        return new BadInputException("worker " + address() + ": " + why);
    }

    private void checkWindows(SessionSpec spec, int vocab) {
        int len = spec.windows[0].length;
        for (int[] w : spec.windows) {
            if (w.length != len) throw refuse(spec, "fitness windows of unequal length");
            for (int t : w) if (t < 0 || t >= vocab) throw refuse(spec, "token " + t + " outside the model's vocabulary of " + vocab);
        }
    }

    /** Copies every artifact from the coordinator in chunks, then checks its size and checksum. */
    private Map<String, Path> fetch(SessionSpec spec, UUID coordinator, WorkDir work) throws IOException {
        Member from = null;
        // The member list reaches every member a moment after a join: give it a few seconds.
        for (long end = System.nanoTime() + 10_000_000_000L; from == null; ) {
            for (Member m : hz.getCluster().getMembers()) if (m.getUuid().equals(coordinator)) from = m;
            if (from != null) break;
            if (System.nanoTime() > end) throw new IllegalStateException("coordinator of session " + spec.id + " is not a member of this cluster (left?)");
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        var files = hz.getExecutorService(MemberConfig.FILES);
        Map<String, Path> out = new HashMap<>();
        for (SessionSpec.Artifact a : spec.artifacts) {
            Path dst = work.file(a.name() + ".bin"); // the worker names its files; nothing of the spec becomes a path
            try (OutputStream os = Files.newOutputStream(dst)) {
                for (long off = 0; off < a.bytes(); ) {
                    int len = (int) Math.min(FetchTask.MAX_CHUNK, a.bytes() - off);
                    byte[] chunk;
                    try {
                        chunk = files.submitToMember(new FetchTask(spec.id, a.name(), off, len), from).get();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted while fetching " + a.name(), e);
                    } catch (ExecutionException e) {
                        throw new IOException("fetching " + a.name() + " of session " + spec.id + " from the coordinator: " + e.getCause(), e.getCause());
                    }
                    if (chunk.length != len) throw new IOException(a.name() + ": got " + chunk.length + " bytes at " + off + ", expected " + len);
                    os.write(chunk);
                    off += len;
                }
            }
            String sha = ModelDigest.of(dst);
            if (!sha.equals(a.sha256())) throw refuse(spec, "artifact " + a.name() + " arrived with another checksum; refused");
            out.put(a.name(), dst);
        }
        return out;
    }

    private synchronized Session session(String id) {
        Session s = sessions.get(id);
        if (s == null) throw new NoSessionException("worker " + address() + " has no session " + id);
        return s;
    }

    double evaluate(String session, int[] genome, TokenSample sample) {
        Session s = session(session);
        if (s.fitness() == null) throw new IllegalArgumentException("session " + session + " is not a search session");
        int pool = s.fitness().windowCount(), len = s.fitness().windowLength();
        int[] w = sample.windows(), l = sample.lengths();
        for (int i = 0; i < w.length; i++) {
            if (w[i] < 0 || w[i] >= pool || l[i] < 2 || l[i] > len) {
                throw new IllegalArgumentException("sample entry " + i + " (window " + w[i] + ", " + l[i] + " tokens) outside the pool of " + pool + " x " + len);
            }
        }
        beforeEvaluation.run();
        double f = s.fitness().evaluate(genome, sample);
        evaluations.incrementAndGet();
        return f;
    }

    /** The per-window Fisher part for some windows of a session's model ({@link StreamingFisher#perWindow}). */
    StreamingFisher.PerWindow fisher(String session, int[][] windows, long groupBytes, long headChunkBytes) throws IOException {
        Session s = session(session);
        int vocab = s.source().config().vocabSize(), len = windows[0].length;
        for (int[] w : windows) {
            if (w.length != len || len < 2) throw new IllegalArgumentException("Fisher windows must have one length >= 2");
            for (int t : w) if (t < 0 || t >= vocab) throw new IllegalArgumentException("token " + t + " outside the vocabulary of " + vocab);
        }
        StreamingFisher.Options o = StreamingFisher.Options.defaults(scratch).withThreads(threads).withGroupBytes(groupBytes)
                .withHeadChunkBytes(headChunkBytes);
        return StreamingFisher.perWindow(s.source(), windows, o, StreamingFisher.Progress.NONE);
    }

    /** Evaluations this worker completed (all sessions). */
    public long evaluations() { return evaluations.get(); }

    private synchronized void coordinatorLeft(UUID member) {
        for (Session s : List.copyOf(sessions.values())) if (s.coordinator().equals(member)) end(s, "its coordinator left");
    }

    private void end(Session s, String why) {
        sessions.remove(s.id());
        if (s.fitness() != null) s.fitness().closeMasks();
        if (s.work() != null) s.work().close();
        log.accept("worker: session " + s.id() + " ended (" + why + ")");
    }

    /** Sessions this worker holds (tests). */
    synchronized int sessionCount() { return sessions.size(); }

    @Override public synchronized void close() {
        for (Session s : List.copyOf(sessions.values())) end(s, "worker stopping");
        if (hz != null) hz.shutdown();
        for (BlockSource b : models.values()) b.close();
        models.clear();
    }

    /** A worker was asked for a session it does not hold (it restarted, or the session ended): prepare again. */
    static final class NoSessionException extends IllegalStateException {
        NoSessionException(String message) { super(message); }
    }
}
