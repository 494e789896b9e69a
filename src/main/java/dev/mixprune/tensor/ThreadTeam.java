package dev.mixprune.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A persistent team of worker threads for data-parallel loops ({@code parallel for} over index
 * ranges). The calling thread takes part in the work, so a team of size T starts T-1 workers.
 *
 * <p>Idle workers block on a monitor (no busy spinning). Work is handed out in chunks from an
 * atomic counter, so uneven chunks balance themselves. A call made from inside a team task (or
 * while the team is busy with a call from the same thread) runs inline on the calling thread: nested
 * parallelism never deadlocks. Calls from different outside threads are served one after another.
 *
 * <p>{@link #shared()} is one process-wide team sized to {@code availableProcessors()} (or the
 * system property {@code mixprune.threads}); it is a resource like a thread pool, not mutable state.
 * A command run with {@code --threads N} runs inside {@link #callWith}: there {@code shared()} is a
 * team of N threads for the calling thread (a scoped value, so nothing global changes and a test
 * JVM can run commands with different thread counts one after another).
 */
public final class ThreadTeam implements AutoCloseable {

    /** Body of a parallel loop over a half-open index range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /** Body of a parallel loop over single indices. */
    @FunctionalInterface
    public interface IndexBody {
        void run(int index);
    }

    private static final class Holder {
        static final ThreadTeam SHARED = new ThreadTeam(defaultSize(), "mixprune-team");
    }

    /** True on the team's workers and on a caller while it executes chunks: nested calls run inline. */
    private static final ThreadLocal<Boolean> IN_TASK = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private final int size;
    private final Thread[] workers;
    private final ReentrantLock callLock = new ReentrantLock();
    private final Object signal = new Object();
    private Job current;          // guarded by signal
    private long generation;      // guarded by signal
    private boolean closed;       // guarded by signal

    /** Creates a team of {@code size} threads in total (the caller counts as one). */
    public ThreadTeam(int size, String name) {
        if (size < 1) throw new IllegalArgumentException("team size must be >= 1, got " + size);
        this.size = size;
        this.workers = new Thread[size - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workerLoop, name + "-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    /** The team {@link #callWith} binds for the calling thread. */
    private static final ScopedValue<ThreadTeam> SCOPED = ScopedValue.newInstance();

    /** The process-wide team, or the one bound by {@link #callWith} on this thread. */
    public static ThreadTeam shared() { return SCOPED.isBound() ? SCOPED.get() : Holder.SHARED; }

    /**
     * Runs {@code op} with {@code team} as {@link #shared()} on the calling thread (kernels called
     * from the team's own workers run inline, so they need no binding).
     */
    public static <R, X extends Throwable> R callWith(ThreadTeam team, ScopedValue.CallableOp<? extends R, X> op) throws X {
        return ScopedValue.where(SCOPED, team).call(op);
    }

    static int defaultSize() {
        String prop = System.getProperty("mixprune.threads");
        if (prop != null && !prop.isBlank()) {
            try {
                int n = Integer.parseInt(prop.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the processor count
            }
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** Number of threads that work on a call (workers plus the caller). */
    public int size() { return size; }

    /** True when the current thread is executing a team task (a nested call would run inline). */
    public static boolean insideTask() { return IN_TASK.get(); }

    /** Runs {@code body.run(i)} for every i in [0, count), in parallel. */
    public void forEach(int count, IndexBody body) {
        forRange(0, count, 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) body.run(i);
        });
    }

    /**
     * Splits [from, to) into chunks of at least {@code grain} indices (about 4 per thread, so
     * uneven work balances) and runs them in parallel. Returns when all chunks are done; the first
     * exception thrown by a chunk is rethrown here after the others finished.
     */
    public void forRange(int from, int to, int grain, RangeBody body) {
        int total = to - from;
        if (total <= 0) return;
        int g = Math.max(1, grain);
        int chunks = Math.min(ceilDiv(total, g), size * 4);
        if (chunks < 1) chunks = 1;
        forChunks(from, to, chunks, body);
    }

    /** Splits [from, to) into exactly {@code chunks} nearly equal contiguous pieces, run in parallel. */
    public void forChunks(int from, int to, int chunks, RangeBody body) {
        int total = to - from;
        if (total <= 0) return;
        chunks = Math.max(1, Math.min(chunks, total));
        if (size == 1 || chunks == 1 || IN_TASK.get() || callLock.isHeldByCurrentThread()) {
            runInline(from, to, body);
            return;
        }
        Job job = new Job(from, total, chunks, body);
        callLock.lock();
        try {
            synchronized (signal) {
                if (closed) {
                    // A closed team still computes, just without helpers.
                    job = null;
                } else {
                    current = job;
                    generation++;
                    signal.notifyAll();
                }
            }
            if (job == null) {
                runInline(from, to, body);
                return;
            }
            IN_TASK.set(Boolean.TRUE);
            try {
                job.work();
            } finally {
                IN_TASK.set(Boolean.FALSE);
            }
            job.awaitDone();
            synchronized (signal) {
                if (current == job) current = null;
            }
        } finally {
            callLock.unlock();
        }
        job.rethrow();
    }

    private static void runInline(int from, int to, RangeBody body) {
        boolean outer = !IN_TASK.get();
        if (outer) IN_TASK.set(Boolean.TRUE);
        try {
            body.run(from, to);
        } finally {
            if (outer) IN_TASK.set(Boolean.FALSE);
        }
    }

    private void workerLoop() {
        IN_TASK.set(Boolean.TRUE);
        long seen = 0;
        while (true) {
            Job job;
            synchronized (signal) {
                while (generation == seen && !closed) {
                    try {
                        signal.wait();
                    } catch (InterruptedException e) {
                        // Workers only stop through close(); keep waiting.
                    }
                }
                if (closed) return;
                seen = generation;
                job = current;
            }
            if (job != null) job.work();
        }
    }

    /** Stops the workers (idempotent). The shared team is never closed. */
    @Override
    public void close() {
        if (this == Holder.SHARED) return;
        synchronized (signal) {
            closed = true;
            signal.notifyAll();
        }
    }

    private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

    /** One parallel call: chunks are claimed from {@code next}; {@code remaining} counts unfinished ones. */
    private static final class Job {
        private final int from;
        private final int total;
        private final int chunks;
        private final RangeBody body;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger remaining;
        private volatile Throwable failure;

        Job(int from, int total, int chunks, RangeBody body) {
            this.from = from;
            this.total = total;
            this.chunks = chunks;
            this.body = body;
            this.remaining = new AtomicInteger(chunks);
        }

        void work() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                int lo = from + (int) ((long) total * c / chunks);
                int hi = from + (int) ((long) total * (c + 1) / chunks);
                try {
                    if (failure == null) body.run(lo, hi);
                } catch (Throwable t) {
                    synchronized (this) {
                        if (failure == null) failure = t;
                    }
                } finally {
                    if (remaining.decrementAndGet() == 0) {
                        synchronized (this) {
                            notifyAll();
                        }
                    }
                }
            }
        }

        void awaitDone() {
            // Brief spin first: the last chunk on the other thread usually ends within microseconds.
            for (int i = 0; i < 2000 && remaining.get() > 0; i++) Thread.onSpinWait();
            synchronized (this) {
                boolean interrupted = false;
                while (remaining.get() > 0) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) Thread.currentThread().interrupt();
            }
        }

        void rethrow() {
            Throwable t = failure;
            if (t == null) return;
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error e) throw e;
            throw new RuntimeException(t);
        }
    }
}
