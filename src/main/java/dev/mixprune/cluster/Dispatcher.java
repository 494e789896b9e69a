package dev.mixprune.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.ExecutionCallback;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.spi.exception.TargetNotMemberException;

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
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Runs lists of independent tasks of one session on the workers of a cluster, in a pull model:
 * every ready worker has at most one task running and one waiting; a worker that finishes gets the
 * next pending task, so faster workers take more (no static split). Results are returned by task
 * index, so what the caller computes from them does not depend on how many workers there are,
 * which one ran what, or the order results arrived in.
 *
 * <p>Faults: a worker that leaves (killed, network lost) fails its in-flight tasks, which go back
 * to the front of the queue for the others; a worker that refuses the session (another file under
 * the same name, another numeric profile) or fails a task gets no more work; a worker that
 * restarted and lost the session is prepared again. Workers that join later are prepared as soon as
 * they appear and take work once ready. With no usable worker for {@link ClusterSettings#waitWorkers}
 * it stops with an error naming what happened to each. A task that fails on two workers is an error.
 */
final class Dispatcher implements AutoCloseable {
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

    /** A callback's outcome, handled on the caller's thread. */
    private sealed interface Event permits Prepared, PrepareFailed, Done, Failed {}

    private record Prepared(Peer w, PrepareTask.Prepared p) implements Event {}

    private record PrepareFailed(Peer w, Throwable t) implements Event {}

    private record Done(Peer w, long call, int index, Object result) implements Event {}

    private record Failed(Peer w, long call, int index, Throwable t) implements Event {}

    Dispatcher(Coordinator coordinator, SessionSpec spec) {
        this.coordinator = coordinator;
        this.spec = spec;
        this.executor = coordinator.instance().getExecutorService(MemberConfig.EVALUATE);
    }

    String session() { return spec.id; }

    /** Prepares the workers present and waits until {@code n} of them are ready. */
    void awaitWorkers(int n) {
        long deadline = System.nanoTime() + coordinator.settings().waitWorkers().toNanos();
        long lastNote = System.nanoTime();
        while (count(State.READY) < n) {
            refreshMembers();
            if (System.nanoTime() > deadline) throw noWorker();
            if (System.nanoTime() - lastNote > 10_000_000_000L) {
                lastNote = System.nanoTime();
                coordinator.log().accept("cluster " + coordinator.settings().name() + ": waiting for " + (n == 1 ? "a worker" : n + " workers")
                        + " (members: " + coordinator.workerAddresses() + ")");
            }
            handle(poll(200));
        }
    }

    /**
     * Runs every task on some worker; {@code done} sees each accepted result with the worker that
     * produced it (for statistics). Returns the results in task order.
     */
    @SuppressWarnings("unchecked")
    <R> List<R> run(List<? extends Callable<R>> tasks, BiConsumer<Member, R> done) {
        long thisCall = ++call;
        int n = tasks.size();
        Object[] out = new Object[n];
        boolean[] finished = new boolean[n];
        Map<Integer, Integer> failures = new HashMap<>();
        Deque<Integer> pending = new ArrayDeque<>();
        for (int i = 0; i < n; i++) pending.add(i);
        int remaining = n;
        long idleSince = System.nanoTime();
        while (remaining > 0) {
            refreshMembers();
            dispatch(pending, tasks, thisCall);
            if (count(State.READY) + count(State.PREPARING) == 0 && inFlight() == 0) {
                if (System.nanoTime() - idleSince > coordinator.settings().waitWorkers().toNanos()) throw noWorker();
            } else {
                idleSince = System.nanoTime();
            }
            Event e = poll(500);
            if (e instanceof Done d && d.call() == thisCall && !finished[d.index()]) {
                out[d.index()] = d.result();
                finished[d.index()] = true;
                remaining--;
                done.accept(d.w().member, (R) d.result());
            } else if (e instanceof Failed f && f.call() == thisCall && !finished[f.index()]) {
                pending.addFirst(f.index());
                if (!memberGone(f.t()) && !(rootCause(f.t()) instanceof Worker.NoSessionException)
                        && failures.merge(f.index(), 1, Integer::sum) >= 2) {
                    throw new IllegalStateException("task " + f.index() + " of session " + spec.id + " failed on two workers, last on "
                            + f.w().address() + ": " + message(f.t()), rootCause(f.t()));
                }
            }
            handle(e);
        }
        List<R> result = new ArrayList<>(n);
        for (Object o : out) result.add((R) o);
        return result;
    }

    private int count(State s) {
        int n = 0;
        for (Peer w : peers.values()) if (w.state == s) n++;
        return n;
    }

    private int inFlight() {
        int n = 0;
        for (Peer w : peers.values()) n += w.inFlight;
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
                        + (w.inFlight > 0 ? "; its " + w.inFlight + " task(s) go to the others" : ""));
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

    /**
     * Hands pending tasks to ready workers: first one each to the idle ones, then a second one each
     * (so a worker does not wait for its next task) while enough are left for everyone.
     */
    private <R> void dispatch(Deque<Integer> pending, List<? extends Callable<R>> tasks, long thisCall) {
        for (int depth = 1; depth <= 2 && !pending.isEmpty(); depth++) {
            List<Peer> ready = new ArrayList<>();
            for (Peer w : peers.values()) if (w.state == State.READY && w.inFlight < depth) ready.add(w);
            if (depth == 2 && pending.size() <= ready.size()) break;
            for (Peer w : ready) {
                if (pending.isEmpty()) break;
                int i = pending.poll();
                submit(w, thisCall, i, tasks.get(i));
            }
        }
    }

    private <R> void submit(Peer w, long thisCall, int index, Callable<R> task) {
        w.inFlight++;
        try {
            executor.submitToMember(task, w.member, new ExecutionCallback<R>() {
                @Override public void onResponse(R r) { events.add(new Done(w, thisCall, index, r)); }

                @Override public void onFailure(Throwable t) { events.add(new Failed(w, thisCall, index, t)); }
            });
        } catch (RuntimeException e) {
            events.add(new Failed(w, thisCall, index, e));
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

    /** Bookkeeping of one event (worker states); the caller took its result. */
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
            case Done d -> d.w().inFlight--;
            case Failed f -> {
                f.w().inFlight--;
                if (memberGone(f.t())) {
                    if (f.w().state != State.GONE) {
                        f.w().state = State.GONE;
                        note(f.w(), "left the cluster");
                        coordinator.log().accept("cluster " + coordinator.settings().name() + ": worker " + f.w().address()
                                + " left during a task; the task goes to the others");
                    }
                } else if (rootCause(f.t()) instanceof Worker.NoSessionException) {
                    if (f.w().state == State.READY) prepare(f.w()); // it restarted under the same identity: prepare again
                } else if (f.w().state != State.REFUSED) {
                    f.w().state = State.REFUSED;
                    note(f.w(), "failed: " + message(f.t()));
                    coordinator.log().accept("cluster " + coordinator.settings().name() + ": worker " + f.w().address()
                            + " failed a task and gets no more work: " + message(f.t()));
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
            if (c instanceof HazelcastInstanceNotActiveException) throw new IllegalStateException("this coordinator's cluster member stopped", t);
        }
        return false;
    }

    static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while ((c instanceof java.util.concurrent.ExecutionException || c instanceof java.util.concurrent.CompletionException)
                && c.getCause() != null) c = c.getCause();
        return c;
    }

    static String message(Throwable t) {
        Throwable c = rootCause(t);
        return c.getMessage() != null ? c.getMessage() : c.toString();
    }

    /** Stops serving the session's artifacts (workers drop the session when this coordinator starts another or leaves). */
    @Override public void close() {
        coordinator.artifacts().unregister(spec.id);
    }
}
