package dev.mixprune.allocate;

import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.backward.Backward;
import dev.mixprune.model.backward.ParamSet;
import dev.mixprune.model.backward.Tape;
import dev.mixprune.model.backward.TrainingForward;
import dev.mixprune.prune.SparsityPlan.ModelShape;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The double-precision REFERENCE of the Fisher traces ({@link StreamingFisher} is what the commands
 * run; its traces are tested against these). Empirical Fisher traces per prunable layer,
 * protocols.md F: one exact gradient per window
 * (batch of one sequence, loss = that window's mean next-token NLL), squared and summed over each
 * layer's weights, averaged over windows. Windows run in parallel, each worker with its own tape
 * and gradient buffers; per-window sums are combined in window order, so the result does not
 * depend on the number of threads.
 */
public final class FisherSensitivity {
    private FisherSensitivity() {}

    /** Called after each window; calls are serialised (never concurrent). */
    @FunctionalInterface
    public interface Progress {
        void windowDone(int done, int total);

        Progress NONE = (d, t) -> {};
    }

    /** Default number of windows (protocols.md F: the first 32 calibration windows). */
    public static final int DEFAULT_SAMPLES = 32;

    /**
     * protocols.md F on a calibration set: the first {@code samples} of its windows (all of them
     * when it has fewer), with the seed and window count recorded as the source.
     */
    public static FisherReport compute(LlamaWeights w, dev.mixprune.data.CalibrationWindows calibration, int samples, Progress progress) {
        if (samples < 1) throw new IllegalArgumentException("Fisher samples must be >= 1, got " + samples);
        int n = Math.min(samples, calibration.nsamples());
        int[][] windows = new int[n][];
        for (int i = 0; i < n; i++) windows[i] = calibration.window(i);
        String source = "calibration seed " + calibration.seed() + ", first " + n + " of " + calibration.nsamples()
                + " windows, seqlen " + calibration.seqlen();
        return compute(w, windows, progress, defaultThreads(w.config(), calibration.seqlen()), source);
    }

    public static FisherReport compute(LlamaWeights w, int[][] windows, Progress progress) {
        return compute(w, windows, progress, defaultThreads(w.config(), windows.length == 0 ? 2 : windows[0].length), "");
    }

    /**
     * @param threads worker threads (each holds one tape; see {@link Tape#bytesFor})
     * @param source  provenance recorded in the report
     */
    public static FisherReport compute(LlamaWeights w, int[][] windows, Progress progress, int threads, String source) {
        LlamaConfig c = w.config();
        if (windows.length == 0) throw new IllegalArgumentException("no windows to compute Fisher traces on");
        int T = windows[0].length;
        for (int n = 0; n < windows.length; n++) {
            if (windows[n].length != T) throw new IllegalArgumentException("window " + n + " has " + windows[n].length + " tokens, window 0 has " + T);
        }
        if (T < 2) throw new IllegalArgumentException("windows need at least 2 tokens, got " + T);
        checkMemory(c, T, Math.max(1, Math.min(threads, windows.length)));
        ParamSet params = ParamSet.of(w);
        int nLayers = c.nLayers(), nKinds = LayerKind.values().length;
        double[][] perWindow = new double[windows.length][];
        double[] losses = new double[windows.length];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        Progress safe = progress == null ? Progress.NONE : progress;
        Object progressLock = new Object();
        int workers = Math.max(1, Math.min(threads, windows.length));

        Runnable worker = () -> {
            Tape tape = new Tape(c, T);
            ParamSet grad = ParamSet.zeros(c);
            for (int n; (n = next.getAndIncrement()) < windows.length; ) {
                grad.zero();
                losses[n] = TrainingForward.forward(params, windows[n], tape);
                Backward.backward(params, windows[n], tape, grad);
                double[] sq = new double[nLayers * nKinds];
                for (int l = 0; l < nLayers; l++) {
                    for (LayerKind k : LayerKind.values()) sq[l * nKinds + k.ordinal()] = grad.sumOfSquares(l, k);
                }
                for (double v : sq) {
                    if (!Double.isFinite(v) || !Double.isFinite(losses[n])) {
                        throw new dev.mixprune.NonFiniteException("window " + n + ": loss " + losses[n]
                                + " or its gradient is not finite; the model weights produce inf/NaN on this text");
                    }
                }
                perWindow[n] = sq;
                synchronized (progressLock) {
                    safe.windowDone(done.incrementAndGet(), windows.length);
                }
            }
        };
        if (workers == 1) {
            worker.run();
        } else {
            try (ExecutorService pool = Executors.newFixedThreadPool(workers)) {
                Future<?>[] fs = new Future<?>[workers];
                for (int i = 0; i < workers; i++) fs[i] = pool.submit(worker);
                for (Future<?> f : fs) f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while computing Fisher traces", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) throw re;
                if (e.getCause() instanceof Error er) throw er;
                throw new IllegalStateException(e.getCause());
            }
        }

        return FisherReport.fromWindows(ModelShape.of(c), nLayers, perWindow, losses, T, sha256(windows), source);
    }

    /** Workers: one per core, fewer when the tapes would not fit in half of the free heap. */
    public static int defaultThreads(LlamaConfig c, int seqLen) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (seqLen < 2) return 1;
        long perWorker = bytesPerWorker(c, seqLen);
        long free = freeHeap() - 8 * c.parameterCount();
        long fit = Math.max(1, free / 2 / Math.max(1, perWorker));
        return (int) Math.max(1, Math.min(cores, fit));
    }

    /** One worker: its tape and its gradient copy of every parameter, in double. */
    static long bytesPerWorker(LlamaConfig c, int seqLen) {
        return Tape.bytesFor(c, seqLen) + 8 * c.parameterCount();
    }

    /** Heap needed by {@code workers} workers plus the shared double copy of the parameters. */
    public static long requiredBytes(LlamaConfig c, int seqLen, int workers) {
        return 8 * c.parameterCount() + workers * bytesPerWorker(c, seqLen);
    }

    private static long freeHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /**
     * Fails early, with the numbers, when the double-precision buffers cannot fit: better than an
     * OutOfMemoryError after minutes, and the message says what to change.
     */
    static void checkMemory(LlamaConfig c, int seqLen, int workers) {
        long need = requiredBytes(c, seqLen, workers);
        long have = Runtime.getRuntime().maxMemory();
        if (need > have * 0.9) {
            throw new dev.mixprune.BadInputException(String.format(java.util.Locale.ROOT,
                    "Fisher sensitivities in double precision need about %.1f GB for this model (%,d parameters) at seqlen %d "
                            + "with %d worker(s), but the heap is %.1f GB: use a shorter --seqlen, --threads 1, or a larger -Xmx",
                    need / 1e9, c.parameterCount(), seqLen, workers, have / 1e9));
        }
    }

    /** SHA-256 of the windows' ids as little-endian int32, window after window. */
    public static String sha256(int[][] windows) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (int[] win : windows) {
                ByteBuffer bb = ByteBuffer.allocate(win.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (int id : win) bb.putInt(id);
                md.update(bb.array());
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
