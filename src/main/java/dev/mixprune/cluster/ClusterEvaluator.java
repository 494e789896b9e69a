package dev.mixprune.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.ExecutionCallback;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import dev.mixprune.allocate.CandidateEvaluator;
import dev.mixprune.allocate.KlFitness;
import dev.mixprune.allocate.TokenSample;
import dev.mixprune.resources.ResourcePlan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A search's candidates evaluated on the workers of a cluster, in a pull model: every worker has at
 * most one candidate running and one waiting; a worker that finishes gets the next pending one, so
 * faster workers take more (work goes where it is done fastest, no static split). Results are
 * stored by candidate index, so the values returned (and therefore the search) do not depend on
 * how many workers there are, which one computed what, or the order results arrived in.
 *
 * <p>Faults: a worker that leaves (killed, network lost) fails its in-flight candidates, which go
 * back to the front of the queue for the others; a worker that refuses the session (another file
 * under the same name, another numeric profile) or fails an evaluation gets no more work; a
 * worker that restarted and lost the session is prepared again. Workers that join later are
 * prepared as soon as they appear and take work once ready. With no usable worker for
 * {@link ClusterSettings#waitWorkers} the search stops with an error naming what happened.
 */
final class ClusterEvaluator implements CandidateEvaluator {
    private final Coordinator coordinator;
    private final SessionSpec spec;
    private final IExecutorService executor;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Map<UUID, Peer> peers = new LinkedHashMap<>();
    private long call;

    private enum State { PREPARING, READY, REFUSED, GONE }

    /** The coordinator's view of one worker during this session. */
    private static final class Peer {
        final Member member;
        State state = State.PREPARING;
        int inFlight;
        String note;

        Peer(Member member) { this.member = member; }

        String address() { return Worker.address(member); }
    }

    /** A callback's outcome, handled on the search thread. */
    private sealed interface Event permits Prepared, PrepareFailed, Evaluated, EvaluateFailed {}

    private record Prepared(Peer w, PrepareTask.Prepared p) implements Event {}

    private record PrepareFailed(Peer w, Throwable t) implements Event {}

    private record Evaluated(Peer w, long call, int index, EvaluateTask.Evaluated r) implements Event {}

    private record EvaluateFailed(Peer w, long call, int index, Throwable t) implements Event {}

    private ClusterEvaluator(Coordinator coordinator, SessionSpec spec) {
        this.coordinator = coordinator;
        this.spec = spec;
        this.executor = coordinator.instance().getExecutorService(MemberConfig.EVALUATE);
    }

    /**
     * Writes the session's artifacts (the fitness's snapshot) into {@code scratch}, registers them
     * for the workers to fetch, and waits until {@code readyWorkers} workers are ready.
     */
    static ClusterEvaluator open(Coordinator c, Path model, KlFitness fitness, Path scratch, int readyWorkers) throws IOException {
        long t0 = System.nanoTime();
        String ref = c.settings().roots().refer(model);
        String sha = ModelDigest.of(model);
        double hashSecs = (System.nanoTime() - t0) / 1e9;
        KlFitness.Snapshot snap = fitness.snapshot(scratch);
        Path header = scratch.resolve("masks-header.bin");
        Files.write(header, snap.masks().header());
        Map<String, Path> files = new LinkedHashMap<>();
        files.put(SessionSpec.MASKS_HEADER, header);
        if (snap.masks().data() != null) files.put(SessionSpec.MASKS_DATA, snap.masks().data());
        if (snap.targets() != null) files.put(SessionSpec.DENSE_TARGETS, snap.targets());
        List<SessionSpec.Artifact> artifacts = new ArrayList<>();
        long bytes = 0;
        for (Map.Entry<String, Path> e : files.entrySet()) {
            long size = Files.size(e.getValue());
            bytes += size;
            artifacts.add(new SessionSpec.Artifact(e.getKey(), size, ModelDigest.of(e.getValue())));
        }
        String id = UUID.randomUUID().toString().substring(0, 8);
        SessionSpec spec = new SessionSpec(id, c.instance().getCluster().getLocalMember().getUuid().toString(), ref, sha,
                NumericProfile.current(), snap.windows(), snap.options(), snap.dataId(), fitness.describe(), snap.heapLimit(), artifacts);
        c.artifacts().register(id, files);
        c.log().accept(String.format(Locale.ROOT, "cluster %s: session %s: model %s (sha256 %s..., %.1f s), %s of artifacts for the workers",
                c.settings().name(), id, ref, sha.substring(0, 12), hashSecs, ResourcePlan.human(bytes)));
        ClusterEvaluator e = new ClusterEvaluator(c, spec);
        try {
            e.awaitWorkers(readyWorkers);
        } catch (RuntimeException ex) {
            e.close();
            throw ex;
        }
        return e;
    }

    private void awaitWorkers(int n) {
        long deadline = System.nanoTime() + coordinator.settings().waitWorkers().toNanos();
        long lastNote = 0;
        while (ready() < n) {
            refreshMembers();
            if (System.nanoTime() > deadline) throw noWorker();
            if (System.nanoTime() - lastNote > 10_000_000_000L) {
                lastNote = System.nanoTime();
                coordinator.log().accept("cluster " + coordinator.settings().name() + ": waiting for a worker (members: "
                        + coordinator.workerAddresses() + ")");
            }
            handle(poll(200));
        }
    }

    private int ready() {
        int n = 0;
        for (Peer w : peers.values()) if (w.state == State.READY) n++;
        return n;
    }

    private IllegalStateException noWorker() {
        List<String> why = new ArrayList<>();
        for (Peer w : peers.values()) why.add(w.address() + " " + w.state.name().toLowerCase(Locale.ROOT) + (w.note != null ? " (" + w.note + ")" : ""));
        return new IllegalStateException(String.format(Locale.ROOT,
                "cluster %s: no worker available for %d s (%s); start workers with `mixprune worker --cluster %s --port P --members %s`",
                coordinator.settings().name(), coordinator.settings().waitWorkers().toSeconds(),
                why.isEmpty() ? "no worker member joined" : String.join("; ", why), coordinator.settings().name(),
                String.join(",", coordinator.settings().members())));
    }

    /** Prepares workers that joined; forgets those that left. */
    private void refreshMembers() {
        Set<UUID> present = new HashSet<>();
        for (Member m : coordinator.workers()) {
            present.add(m.getUuid());
            if (!peers.containsKey(m.getUuid())) {
                Peer w = new Peer(m);
                peers.put(m.getUuid(), w);
                coordinator.stats(m);
                prepare(w);
            }
        }
        for (Peer w : peers.values()) {
            if (!present.contains(w.member.getUuid()) && w.state != State.GONE) {
                w.state = State.GONE;
                note(w, "left the cluster");
                coordinator.log().accept("cluster " + coordinator.settings().name() + ": worker " + w.address() + " left"
                        + (w.inFlight > 0 ? "; its " + w.inFlight + " candidate(s) go to the others" : ""));
            }
        }
    }

    private void prepare(Peer w) {
        w.state = State.PREPARING;
        try {
            executor.submitToMember(new PrepareTask(spec), w.member, new ExecutionCallback<PrepareTask.Prepared>() {
                @Override public void onResponse(PrepareTask.Prepared p) { events.add(new Prepared(w, p)); }

                @Override public void onFailure(Throwable t) { events.add(new PrepareFailed(w, t)); }
            });
        } catch (RuntimeException e) {
            events.add(new PrepareFailed(w, e));
        }
    }

    @Override public double[] evaluate(List<int[]> genomes, TokenSample sample) {
        long thisCall = ++call;
        int n = genomes.size();
        double[] out = new double[n];
        boolean[] done = new boolean[n];
        Map<Integer, Integer> failures = new HashMap<>();
        Deque<Integer> pending = new ArrayDeque<>();
        for (int i = 0; i < n; i++) pending.add(i);
        int remaining = n;
        long idleSince = System.nanoTime();
        while (remaining > 0) {
            refreshMembers();
            dispatch(pending, genomes, sample, thisCall);
            if (ready() + preparing() == 0 && inFlight() == 0) {
                if (System.nanoTime() - idleSince > coordinator.settings().waitWorkers().toNanos()) throw noWorker();
            } else {
                idleSince = System.nanoTime();
            }
            Event e = poll(500);
            if (e instanceof Evaluated ev && ev.call() == thisCall && !done[ev.index()]) {
                out[ev.index()] = ev.r().value;
                done[ev.index()] = true;
                remaining--;
            } else if (e instanceof EvaluateFailed f && f.call() == thisCall && !done[f.index()]) {
                pending.addFirst(f.index());
                if (!memberGone(f.t()) && !(rootCause(f.t()) instanceof Worker.NoSessionException)
                        && failures.merge(f.index(), 1, Integer::sum) >= 2) {
                    throw new IllegalStateException("candidate " + f.index() + " failed on two workers, last on " + f.w().address() + ": "
                            + rootCause(f.t()), f.t());
                }
            }
            handle(e);
        }
        return out;
    }

    private int preparing() {
        int n = 0;
        for (Peer w : peers.values()) if (w.state == State.PREPARING) n++;
        return n;
    }

    private int inFlight() {
        int n = 0;
        for (Peer w : peers.values()) n += w.inFlight;
        return n;
    }

    /**
     * Hands pending candidates to ready workers: first one each to the idle ones, then a second one
     * each (so a worker never waits for its next task) while enough candidates are left for everyone.
     */
    private void dispatch(Deque<Integer> pending, List<int[]> genomes, TokenSample sample, long thisCall) {
        for (int depth = 1; depth <= 2 && !pending.isEmpty(); depth++) {
            List<Peer> ready = new ArrayList<>();
            for (Peer w : peers.values()) if (w.state == State.READY && w.inFlight < depth) ready.add(w);
            if (depth == 2 && pending.size() <= ready.size()) break;
            for (Peer w : ready) {
                if (pending.isEmpty()) break;
                int i = pending.poll();
                submit(w, thisCall, i, new EvaluateTask(spec.id, genomes.get(i), sample));
            }
        }
    }

    private void submit(Peer w, long thisCall, int index, EvaluateTask task) {
        w.inFlight++;
        try {
            executor.submitToMember(task, w.member, new ExecutionCallback<EvaluateTask.Evaluated>() {
                @Override public void onResponse(EvaluateTask.Evaluated r) { events.add(new Evaluated(w, thisCall, index, r)); }

                @Override public void onFailure(Throwable t) { events.add(new EvaluateFailed(w, thisCall, index, t)); }
            });
        } catch (RuntimeException e) {
            events.add(new EvaluateFailed(w, thisCall, index, e));
        }
    }

    private Event poll(long millis) {
        try {
            return events.poll(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the workers", e);
        }
    }

    /** Bookkeeping of one event (worker states, statistics); the caller took its result. */
    private void handle(Event e) {
        switch (e) {
            case null -> { }
            case Prepared p -> {
                if (p.w().state != State.PREPARING) return;
                p.w().state = State.READY;
                coordinator.threads(p.w().member, p.p().threads);
                coordinator.log().accept(String.format(Locale.ROOT, "cluster %s: worker %s ready (%.1f s, %d thread%s)",
                        coordinator.settings().name(), p.w().address(), p.p().seconds, p.p().threads, p.p().threads == 1 ? "" : "s"));
            }
            case PrepareFailed f -> {
                if (memberGone(f.t())) {
                    f.w().state = State.GONE;
                    return;
                }
                f.w().state = State.REFUSED;
                String why = message(f.t());
                note(f.w(), "refused: " + why);
                coordinator.log().accept("cluster " + coordinator.settings().name() + ": worker " + f.w().address() + " refused the session: " + why);
            }
            case Evaluated ev -> {
                ev.w().inFlight--;
                coordinator.recordEvaluation(ev.w().member, ev.r().nanos);
            }
            case EvaluateFailed f -> {
                f.w().inFlight--;
                Throwable cause = rootCause(f.t());
                if (memberGone(f.t())) {
                    if (f.w().state != State.GONE) {
                        f.w().state = State.GONE;
                        note(f.w(), "left the cluster");
                        coordinator.log().accept("cluster " + coordinator.settings().name() + ": worker " + f.w().address()
                                + " left during an evaluation; the candidate goes to the others");
                    }
                } else if (cause instanceof Worker.NoSessionException) {
                    if (f.w().state == State.READY) prepare(f.w()); // restarted under the same identity: prepare again
                } else if (f.w().state != State.REFUSED) {
                    f.w().state = State.REFUSED;
                    note(f.w(), "failed: " + message(f.t()));
                    coordinator.log().accept("cluster " + coordinator.settings().name() + ": worker " + f.w().address()
                            + " failed an evaluation and gets no more work: " + message(f.t()));
                }
            }
        }
    }

    private void note(Peer w, String note) {
        w.note = note;
        coordinator.note(w.member, note);
    }

    private boolean memberGone(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof MemberLeftException || c instanceof TargetNotMemberException) return true;
            if (c instanceof HazelcastInstanceNotActiveException) {
                throw new IllegalStateException("this coordinator's cluster member stopped", t);
            }
        }
        return false;
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while ((c instanceof java.util.concurrent.ExecutionException || c instanceof java.util.concurrent.CompletionException)
                && c.getCause() != null) c = c.getCause();
        return c;
    }

    private static String message(Throwable t) {
        Throwable c = rootCause(t);
        return c.getMessage() != null ? c.getMessage() : c.toString();
    }

    /** Stops serving the session's artifacts (the workers drop the session when this coordinator starts another or leaves). */
    @Override public void close() {
        coordinator.artifacts().unregister(spec.id);
    }
}
