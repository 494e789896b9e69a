package dev.mixprune.allocate;

import dev.mixprune.BadInputException;
import dev.mixprune.data.CalibrationWindows;
import dev.mixprune.grad.BlockTape;
import dev.mixprune.grad.Checkpoints;
import dev.mixprune.grad.GradientSink;
import dev.mixprune.grad.NllHead;
import dev.mixprune.grad.RowOps;
import dev.mixprune.grad.StreamedBackward;
import dev.mixprune.io.BlockSource;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.SparsityPlan.ModelShape;
import dev.mixprune.resources.HeapGuard;
import dev.mixprune.resources.ResourcePlan;
import dev.mixprune.resources.Speed;
import dev.mixprune.tensor.ThreadTeam;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Fisher traces (protocols.md F) of a model streamed block by block from a {@link BlockSource}
 * with the float32 backward ({@code grad}): what {@code sensitivity}, {@code prune --allocation
 * fisher|msp} and {@code run} compute. {@link FisherSensitivity} (double precision, whole model in
 * memory) is the reference it is tested against.
 *
 * <p>Windows are processed in groups sized by {@link Options#groupBytes}: for each group the
 * forward runs every block once (each block's input saved as a checkpoint), the loss head gives
 * the gradient of every window's own loss (windows do not interact, so one backward serves them
 * all), and the backward runs the blocks in reverse, reading each again and recomputing its
 * forward from its checkpoint. Each window's weight gradients are reduced to squared sums per
 * layer as soon as they exist. Checkpoints stay in memory when they are small
 * ({@link Options#inMemoryCheckpointBytes}) and otherwise go to a temporary file that is removed
 * whatever happens, so the resident size does not grow with the number of blocks.
 *
 * <p>Deterministic: the result is identical for any thread count (fixed reduction orders
 * throughout, windows combined in index order).
 */
public final class StreamingFisher {
    private StreamingFisher() {}

    /** Called after each block pass (one block's forward or backward for one group of windows). */
    @FunctionalInterface
    public interface Progress {
        void step(long done, long total);

        Progress NONE = (d, t) -> { };
    }

    /**
     * @param threads                 worker threads (1 or more)
     * @param groupBytes              activation budget of one group of windows (its rows' tape, residuals and head)
     * @param inMemoryCheckpointBytes checkpoints up to this size stay in memory, larger ones go to a file
     * @param checkpointDir           directory of the checkpoint file
     * @param headChunkBytes          bound of the head's classifier and logits chunks
     * @param guard                   checked after every block pass (a full collection when the heap holds more than planned)
     */
    public record Options(int threads, long groupBytes, long inMemoryCheckpointBytes, Path checkpointDir, long headChunkBytes, HeapGuard guard) {
        public static final long DEFAULT_GROUP_BYTES = 1L << 30;
        public static final long DEFAULT_IN_MEMORY_CHECKPOINTS = 64L << 20;

        public Options {
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            if (groupBytes < 1 || headChunkBytes < 1 || inMemoryCheckpointBytes < 0) throw new IllegalArgumentException("memory bounds must be positive");
        }

        /** One worker per core, 1 GiB per group, checkpoints over 64 MiB in a file in {@code checkpointDir}. */
        public static Options defaults(Path checkpointDir) {
            return new Options(Runtime.getRuntime().availableProcessors(), DEFAULT_GROUP_BYTES, DEFAULT_IN_MEMORY_CHECKPOINTS,
                    checkpointDir, NllHead.DEFAULT_CHUNK_BYTES, HeapGuard.none());
        }

        public Options withThreads(int t) { return new Options(t, groupBytes, inMemoryCheckpointBytes, checkpointDir, headChunkBytes, guard); }

        public Options withGroupBytes(long b) { return new Options(threads, b, inMemoryCheckpointBytes, checkpointDir, headChunkBytes, guard); }

        public Options withInMemoryCheckpointBytes(long b) { return new Options(threads, groupBytes, b, checkpointDir, headChunkBytes, guard); }

        public Options withGuard(HeapGuard g) { return new Options(threads, groupBytes, inMemoryCheckpointBytes, checkpointDir, headChunkBytes, g); }

        public Options withHeadChunkBytes(long b) { return new Options(threads, groupBytes, inMemoryCheckpointBytes, checkpointDir, b, guard); }
    }

    /**
     * How a run is laid out and what it needs: windows per group, checkpoint size and place, and the
     * planned peak of the Java heap's live data (one block in float32, the weight-gradient buffers,
     * the group's activations, in-memory checkpoints).
     */
    public record Plan(int windows, int seqLen, int windowsPerGroup, int groups, long blockBytes, long gradientBytes, long activationBytes,
                       long checkpointBytes, boolean checkpointsOnDisk, double flops) {
        public int rowsPerGroup() { return windowsPerGroup * seqLen; }

        /** Live data at the peak (bytes), excluding the JVM itself. */
        public long peakBytes() { return blockBytes + gradientBytes + activationBytes + (checkpointsOnDisk ? 0 : checkpointBytes); }

        /** Disk the checkpoint file takes (0 when they stay in memory). */
        public long diskBytes() { return checkpointsOnDisk ? checkpointBytes : 0; }

        /** Block reads from the source: two per block per group, minus the last block's second read. */
        public long blockPasses(int nLayers) { return (long) groups * 2 * nLayers; }
    }

    /** Bytes per row (token) of a group: the tape, three residual matrices, the head's normalized rows and gradient. */
    static long bytesPerRow(LlamaConfig c) {
        return BlockTape.bytesPerRow(c) + 4L * 5 * c.dim();
    }

    public static Plan plan(LlamaConfig c, int windows, int seqLen, Options o) {
        long perWindow = bytesPerRow(c) * seqLen;
        int maxPerGroup = (int) Math.max(1, Math.min(windows, o.groupBytes() / Math.max(1, perWindow)));
        int groups = (windows + maxPerGroup - 1) / maxPerGroup;
        int perGroup = (windows + groups - 1) / groups; // balanced groups
        int rows = perGroup * seqLen;
        long block = 4L * (c.prunablePerBlock() + 2L * c.dim());
        long maxLinear = 0, distinct = 0;
        java.util.Set<Long> sizes = new java.util.TreeSet<>();
        for (LayerKind k : LayerKind.values()) {
            maxLinear = Math.max(maxLinear, c.weightsOf(k));
            sizes.add(c.weightsOf(k));
        }
        for (long s : sizes) distinct += s;
        long grads = 4L * distinct + 8L * rows * Math.max(c.dim(), c.hiddenDim()); // buffers by size + two row slices
        long act = bytesPerRow(c) * rows + NllHead.bytesFor(c, rows, o.headChunkBytes()) - 8L * rows * c.dim();
        long ck = Checkpoints.bytesFor(c.nLayers(), rows, c.dim());
        return new Plan(windows, seqLen, perGroup, groups, block, grads, act, ck, ck > o.inMemoryCheckpointBytes(), flops(c, windows, seqLen));
    }

    /**
     * The resource plan of a run (printed by the commands before they start): what is alive
     * throughout (one block in float32, the weight-gradient buffers, in-memory checkpoints), the
     * group's activations and the head's chunks, the checkpoint file on disk, and the time at the
     * assumed speed.
     */
    public static ResourcePlan resources(LlamaConfig c, int windows, int seqLen, Options o, Speed speed) {
        Plan p = plan(c, windows, seqLen, o);
        ResourcePlan r = ResourcePlan.of("sensitivity");
        r.memory(null, "one block read from the mapped file (float32)", p.blockBytes());
        r.memory(null, "weight-gradient buffers (one per distinct linear size) and row slices", p.gradientBytes());
        if (!p.checkpointsOnDisk()) r.memory(null, "block-input checkpoints of one group (in memory)", p.checkpointBytes());
        r.memory("gradients", String.format(Locale.ROOT, "activations of %d window(s) x %d tokens (forward record, backward scratch, loss head)",
                p.windowsPerGroup(), seqLen), p.activationBytes());
        if (p.checkpointsOnDisk()) r.disk("block-input checkpoints of one group (temporary file, removed at the end)", p.checkpointBytes());
        r.stage("forward and backward", p.flops() / speed.flopsPerSecond(), String.format(Locale.ROOT, "%.1f TFLOP; %d group(s), each block read twice per group",
                p.flops() / 1e12, p.groups()));
        return r;
    }

    /** The largest group size (windows) whose plan fits {@code maxBytes}, as options (the given options when there is no bound). */
    public static Options fitting(LlamaConfig c, int windows, int seqLen, Options o, Long maxBytes) {
        if (maxBytes == null) return o;
        long perWindow = bytesPerRow(c) * seqLen;
        int n = ResourcePlan.largestFitting(windows, maxBytes,
                k -> resources(c, windows, seqLen, o.withGroupBytes(k * perWindow), Speed.assumed()).peakMemory());
        return o.withGroupBytes(n * perWindow);
    }

    /**
     * Flops of the whole computation: per token and block 2P for the forward, 2P for the recomputed
     * forward (not for the last block), 2P for input gradients, 2P for weight gradients (P = the
     * block's linear weights), plus causal attention (2·T·D per token per pass, about 4.5 passes) and
     * the head (three vocab x dim products per token).
     */
    static double flops(LlamaConfig c, int windows, int seqLen) {
        double tokens = (double) windows * seqLen, p = c.prunablePerBlock(), L = c.nLayers();
        double linears = (8 * L - 2) * 2 * p / 2;
        double attention = L * 4.5 * 2.0 * seqLen / 2 * c.dim();
        double head = 3 * 2.0 * c.vocabSize() * c.dim();
        return tokens * (linears + attention + head);
    }

    /**
     * Where the per-window part ({@link #perWindow}) runs: {@link #LOCAL} in this process, or spread
     * over a cluster's members (package cluster), which may compute any subset of windows anywhere.
     */
    @FunctionalInterface
    public interface Windows {
        PerWindow compute(BlockSource src, int[][] windows, Options o, Progress progress) throws java.io.IOException;
    }

    public static final Windows LOCAL = StreamingFisher::perWindow;

    /** As {@link #compute(BlockSource, CalibrationWindows, int, Options, Progress)}, the per-window part done by {@code where}. */
    public static FisherReport compute(BlockSource src, CalibrationWindows calibration, int samples, Options o, Progress progress, Windows where)
            throws java.io.IOException {
        int[][] windows = first(calibration, samples);
        return compute(src, windows, source(calibration, windows.length), o, progress, where);
    }

    /** As {@link #compute(BlockSource, int[][], String, Options, Progress)}, the per-window part done by {@code where}. */
    public static FisherReport compute(BlockSource src, int[][] windows, String source, Options o, Progress progress, Windows where)
            throws java.io.IOException {
        return report(src, windows, source, where.compute(src, windows, o, progress));
    }

    /** protocols.md F on the first {@code samples} windows of a calibration set (all when it has fewer). */
    public static FisherReport compute(BlockSource src, CalibrationWindows calibration, int samples, Options o, Progress progress) {
        int[][] windows = first(calibration, samples);
        return compute(src, windows, source(calibration, windows.length), o, progress);
    }

    /** Fisher traces of {@code windows} (equal lengths >= 2), with {@code source} recorded as provenance. */
    public static FisherReport compute(BlockSource src, int[][] windows, String source, Options o, Progress progress) {
        return report(src, windows, source, perWindow(src, windows, o, progress));
    }

    private static int[][] first(CalibrationWindows calibration, int samples) {
        if (samples < 1) throw new IllegalArgumentException("Fisher samples must be >= 1, got " + samples);
        int n = Math.min(samples, calibration.nsamples());
        int[][] windows = new int[n][];
        for (int i = 0; i < n; i++) windows[i] = calibration.window(i);
        return windows;
    }

    private static String source(CalibrationWindows calibration, int n) {
        return "calibration seed " + calibration.seed() + ", first " + n + " of " + calibration.nsamples() + " windows, seqlen " + calibration.seqlen();
    }

    /** The mean over windows (in window order) of the per-window results. */
    private static FisherReport report(BlockSource src, int[][] windows, String source, PerWindow pw) {
        return FisherReport.fromWindows(ModelShape.of(src.config()), src.config().nLayers(), pw.squares(), pw.losses(), windows[0].length,
                FisherSensitivity.sha256(windows), source);
    }

    /**
     * Each window's squared gradient sums per layer ({@code squares[n][block * 7 + kind.ordinal()]})
     * and loss: everything of protocol F before the mean over windows. A window's values do not depend
     * on which other windows it is computed with (every product is per row or per window and takes the
     * same kernel path; tested bit for bit), so any subset of windows can be computed anywhere (a
     * cluster member) and {@link FisherReport#fromWindows} reduces them in window order.
     */
    public record PerWindow(double[][] squares, double[] losses) {}

    public static PerWindow perWindow(BlockSource src, int[][] windows, Options o, Progress progress) {
        LlamaConfig c = src.config();
        if (windows.length == 0) throw new IllegalArgumentException("no windows to compute Fisher traces on");
        int T = windows[0].length;
        for (int n = 0; n < windows.length; n++) {
            if (windows[n].length != T) throw new IllegalArgumentException("window " + n + " has " + windows[n].length + " tokens, window 0 has " + T);
            for (int t = 0; t < T; t++) {
                if (windows[n][t] < 0 || windows[n][t] >= c.vocabSize()) {
                    throw new IllegalArgumentException("window " + n + " position " + t + ": token " + windows[n][t] + " outside vocabulary 0.." + (c.vocabSize() - 1));
                }
            }
        }
        if (T < 2) throw new IllegalArgumentException("windows need at least 2 tokens, got " + T);
        Plan plan = plan(c, windows.length, T, o);
        int L = c.nLayers(), nKinds = LayerKind.values().length, N = windows.length;
        double[][] perWindow = new double[N][L * nKinds];
        double[] losses = new double[N];
        Progress safe = progress == null ? Progress.NONE : progress;
        long total = plan.blockPasses(L);
        long[] done = {0};
        try (ThreadTeam team = new ThreadTeam(o.threads(), "mixprune-fisher");
             Checkpoints ck = plan.checkpointsOnDisk()
                     ? Checkpoints.tempFile(o.checkpointDir(), L, plan.rowsPerGroup(), c.dim())
                     : Checkpoints.inMemory(L)) {
            BlockTape tape = new BlockTape(c);
            for (int g = 0; g < plan.groups(); g++) {
                int first = g * plan.windowsPerGroup(), count = Math.min(plan.windowsPerGroup(), N - first);
                int[][] batch = Arrays.copyOfRange(windows, first, first + count);
                StreamedBackward.Result r = StreamedBackward.run(src, batch, ck, 1, b -> squares(b, first, nKinds, perWindow, team), tape,
                        o.headChunkBytes(), (backward, block) -> {
                            safe.step(++done[0], total);
                            o.guard().check();
                        }, team);
                for (int i = 0; i < count; i++) {
                    losses[first + i] = r.losses()[i];
                    checkFinite(first + i, losses[first + i], perWindow[first + i]);
                }
            }
        }
        return new PerWindow(perWindow, losses);
    }

    /** Block b's sink: each window's squared gradient sum per linear, into perWindow[first + group]. */
    private static GradientSink squares(int b, int first, int nKinds, double[][] perWindow, ThreadTeam team) {
        return (group, kind, grad) -> perWindow[first + group][b * nKinds + kind.ordinal()] = RowOps.sumOfSquares(grad.data(), grad.size(), team);
    }

    private static void checkFinite(int window, double loss, double[] sq) {
        boolean ok = Double.isFinite(loss);
        for (double v : sq) ok &= Double.isFinite(v);
        if (!ok) {
            throw new dev.mixprune.NonFiniteException("window " + window + ": loss " + loss
                    + " or its gradient is not finite; the model weights produce inf/NaN on this text");
        }
    }
}
