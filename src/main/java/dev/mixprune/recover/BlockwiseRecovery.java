package dev.mixprune.recover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.grad.BlockTape;
import dev.mixprune.grad.GradientSink;
import dev.mixprune.grad.TrainingBlock;
import dev.mixprune.io.AtomicFiles;
import dev.mixprune.io.BlockSink;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.TensorDType;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Blockwise recovery, streamed: block by block, the pruned block is trained (kept weights of its
 * seven linears, its norms and biases; masks fixed; Adam) to reproduce the DENSE block's output on
 * the pruned-propagated inputs (mean squared error), then the pool of calibration windows is
 * propagated through the trained block to become the next block's input, and the block is written
 * to the output. In memory: one pruned block, one dense block (only while its targets are
 * computed), the pool's inputs and targets ([pool·seqlen][dim] each), one tape for a pass, and the
 * block's Adam moments for its kept entries; never the whole model.
 *
 * <p>Micro-batches ({@code --micro-batch}): a step's batch can run as several forward/backward passes of fewer
 * windows whose gradients are summed ({@link GradientAccumulator}, the kept entries only) before the one Adam step, so
 * the tape, the largest thing that grows with the batch (about 107 MB per window of 256 tokens at the 7B shape), is one
 * pass's. The loss and the gradient are the whole batch's (the same sums, split), equal up to float rounding to a
 * single pass's ({@code BlockwiseMicroBatchTest}); without micro-batches the run is what it was, bit for bit.
 *
 * <p>Checkpoints (a directory) are written after every block: the trained block's tensors, the
 * pool's activations entering the next block, and {@code state.json} last (the commit point). A
 * resumed run re-emits the saved blocks and continues with the next one; since every step's batch
 * is a function of (seed, block, step) and Adam starts afresh for every block, the final model is
 * the same as without the interruption.
 */
public final class BlockwiseRecovery {
    public static final String STATE_FORMAT = "mixprune.recover-blockwise-state";

    /** Progress of the run. */
    public interface Listener {
        void stepDone(int block, int step, double loss);

        default void blockDone(int block, double firstLoss, double lastLoss, double seconds) { }

        /** Block {@code block} was restored from the checkpoint (not trained again). */
        default void skipped(int block) { }

        Listener NONE = (b, s, l) -> { };
    }

    /** The checkpoint directory (null: none), what it must belong to, and whether to resume from it. */
    public record Checkpointing(Path dir, String modelFingerprint, boolean resume) {
        public static final Checkpointing NONE = new Checkpointing(null, "", false);
    }

    /** Per block, the MSE of every step; and how many values were trained. */
    public record Result(double[][] losses, long trainedValues) {}

    private final BlockSource pruned, dense;
    private final RecoverOptions o;
    private final TrainingWindows.Pool pool;
    private final ThreadTeam team;

    public BlockwiseRecovery(BlockSource pruned, BlockSource dense, RecoverOptions o, TrainingWindows.Pool pool, ThreadTeam team) {
        if (!Shapes.differences(pruned.config(), dense.config()).isEmpty()) throw new IllegalArgumentException("teacher and student shapes differ");
        this.pruned = pruned;
        this.dense = dense;
        this.o = o;
        this.pool = pool;
        this.team = team;
    }

    /** Bytes of the pool's inputs and targets, and of one pass's tape and buffers. */
    public static long memoryBytes(LlamaConfig c, RecoverOptions o) {
        long poolRows = (long) o.poolWindows() * o.seqLen(), passRows = (long) passWindows(o) * o.seqLen();
        return 2 * 4L * poolRows * c.dim() + BlockTape.bytesPerRow(c) * passRows + 4 * 4L * passRows * c.dim();
    }

    /** Windows per forward/backward pass: the micro-batch, or the whole batch (at most the pool). */
    static int passWindows(RecoverOptions o) { return o.passWindows(Math.min(o.batch(), o.poolWindows())); }

    /** Whether a step runs as several passes whose gradients are accumulated. */
    static boolean accumulates(RecoverOptions o) { return passWindows(o) < Math.min(o.batch(), o.poolWindows()); }

    /** The tape bound {@link #defaultMicroBatch} keeps a pass under. */
    public static final long DEFAULT_PASS_TAPE_BYTES = 256L << 20;

    /**
     * The default micro-batch: the whole batch when its tape fits {@link #DEFAULT_PASS_TAPE_BYTES} (stories260K: 13 MB
     * for 8 x 256 tokens, so nothing changes there), else the largest divisor of the batch whose pass's tape fits it
     * (at least 1 window; the 7B shape: 2 windows of 256 tokens, 214 MB, instead of 853 MB for 8).
     */
    public static int defaultMicroBatch(LlamaConfig c, int batch, int seqLen) {
        long perWindow = BlockTape.bytesPerRow(c) * seqLen;
        for (int d = batch; d >= 1; d--) if (batch % d == 0 && d * perWindow <= DEFAULT_PASS_TAPE_BYTES) return d;
        return 1;
    }

    /**
     * Adds blockwise recovery's memory to a plan, an upper bound independent of the number of blocks: alive
     * throughout, the pool's inputs and targets and one batch's tape and buffers ({@link #memoryBytes}) with
     * forwardPool's per-batch copies, the readers' q/k scratch; then either the dense block in float32 while the targets
     * are computed, with the pruned reader's spare block (phase "targets"), or (phase "training") the pruned block in float32, its masks, Adam moments of at most
     * {@code maxKeptPerBlock} kept entries plus its norms and biases, the backward's weight-gradient buffers (one per
     * distinct linear size) and, with micro-batches, the gradient sums; or (phase "writing", the moments gone) the
     * trained block, its masks, the gradient buffers and the output's copy of one linear.
     */
    public static void addTo(dev.mixprune.resources.ResourcePlan p, LlamaConfig c, RecoverOptions o, long maxKeptPerBlock) {
        long dense = c.biasesPerBlock() + 2L * c.dim();
        long blockValues = c.prunablePerBlock() + dense;
        long masks = 0, widest = 0;
        java.util.Set<Long> sizes = new java.util.HashSet<>();
        for (dev.mixprune.model.LayerKind k : dev.mixprune.model.LayerKind.values()) {
            masks += dev.mixprune.grad.Mask.bytesFor(c.rowsOf(k), c.colsOf(k));
            sizes.add(c.weightsOf(k));
            widest = Math.max(widest, c.weightsOf(k));
        }
        long gradients = 4L * sizes.stream().mapToLong(Long::longValue).sum();
        int passRows = passWindows(o) * o.seqLen();
        p.memory(null, String.format(java.util.Locale.ROOT, "the pool's inputs and targets (%d x %d tokens), one pass's tape and buffers (%d tokens)",
                o.poolWindows(), o.seqLen(), passRows), memoryBytes(c, o) + 2 * 4L * passRows * c.dim());
        p.memory(null, "the two readers' q/k row-order scratch", 2 * 4L * c.dim() * Math.max(c.qDim(), c.kvDim()));
        p.memory("targets", "the dense block and the pruned reader's spare (the previous block), float32", 2 * 4L * blockValues);
        p.memory("training", "the pruned block (float32) and its masks", 4L * blockValues + masks);
        p.memory("training", String.format(java.util.Locale.ROOT, "Adam moments of at most %,d kept entries, norms and biases", maxKeptPerBlock),
                8L * (Math.min(maxKeptPerBlock, c.prunablePerBlock()) + dense));
        p.memory("training", "the backward's weight-gradient buffers", gradients);
        p.memory("writing", "the trained block (float32), its masks, the backward's weight-gradient buffers and the output's copy of one linear",
                4L * blockValues + masks + gradients + 4L * widest);
        if (accumulates(o)) {
            p.memory("training", String.format(java.util.Locale.ROOT, "gradient sums over %d passes of %d windows (kept entries, norms and biases)",
                    Math.min(o.batch(), o.poolWindows()) / passWindows(o), passWindows(o)), GradientAccumulator.bytesFor(c, maxKeptPerBlock));
        }
    }

    /** Trains every block and writes the recovered model to {@code out}. */
    public Result run(Path out, ModelFormat format, TensorDType dtype, Checkpointing cp, Listener listener) throws IOException {
        LlamaConfig c = pruned.config();
        int L = c.nLayers(), T = o.seqLen(), P = pool.size(), D = c.dim();
        double[][] losses = new double[L][];
        long trained = 0;
        Matrix x = pruned.embed(Arrays.asList(pool.windows().windows()), T);
        int first = 0;
        if (cp.dir() != null && cp.resume()) {
            JsonNode state = readState(cp);
            first = state.path("blocks_done").asInt();
            if (first < 0 || first > L) throw BadInputException.in(cp.dir().resolve("state.json"), "blocks_done " + first + " outside 0.." + L);
            for (int b = 0; b < first; b++) {
                JsonNode l = state.path("losses").path(b);
                losses[b] = new double[l.size()];
                for (int i = 0; i < l.size(); i++) losses[b][i] = l.get(i).asDouble();
            }
            if (first > 0) StateFile.readFloats(cp.dir().resolve("activations.bin"), List.of(x.data()));
        } else if (cp.dir() != null) {
            Files.createDirectories(cp.dir());
        }
        BlockTape tape = new BlockTape(c);
        Matrix y = new Matrix(P * T, D);
        try (BlockSink sink = BlockSink.open(pruned, out, format, dtype)) {
            for (int b = 0; b < L; b++) {
                if (b < first) {
                    BlockWeights s = pruned.block(b);
                    Trainables tr = Trainables.ofBlock(c, b, s);
                    trained += tr.trainedValues();
                    StateFile.read(cp.dir().resolve("block-" + b + ".state"), tr.tensors(), false);
                    Recovery.requireSameZeros(tr, "in checkpoint block " + b + " (a checkpoint of another model?)");
                    sink.accept(b, s);
                    pruned.release(s);
                    listener.skipped(b);
                    continue;
                }
                long t0 = System.nanoTime();
                // the dense block's targets first, so that it is gone before the pruned block and its training state exist
                // (not dense.release(d): a source keeps a released block as its spare, a whole float32 block held for nothing)
                BlockWeights d = dense.block(b);
                forwardPool(c, d, x, y, tape);
                d = null;
                phaseBoundary();
                BlockWeights s = pruned.block(b);
                Trainables tr = Trainables.ofBlock(c, b, s);
                trained += tr.trainedValues();
                losses[b] = train(c, b, s, tr, x, y, tape, listener);
                Recovery.requireSameZeros(tr, "after training block " + b);
                // the block's Adam moments go now, before the pool's propagation and the writing (the output's copy of a linear);
                // saveState's view allocates none (Adam allocates its moments on the first step)
                tr = null;
                phaseBoundary();
                forwardPool(c, s, x, y, tape);  // y = the trained block's output: the next block's input
                Matrix tmp = x;
                x = y;
                y = tmp;
                sink.accept(b, s);
                if (cp.dir() != null) saveState(cp, b, Trainables.ofBlock(c, b, s), x, losses);
                pruned.release(s);
                listener.blockDone(b, losses[b][0], losses[b][losses[b].length - 1], (System.nanoTime() - t0) / 1e9);
            }
            sink.finish();
        }
        return new Result(losses, trained);
    }

    /**
     * Between phases about a gigabyte of arrays changes hands at the 7B shape (the dense block goes and the training
     * state comes; then the Adam moments and gradient sums go and the output's copy comes). A concurrent collector
     * (ZGC, the launcher's for blockwise recover) may not have reclaimed the old ones when the new ones are allocated,
     * and the resident size then holds both (docs/results.md, blockwise at the 7B shape). A collection at the boundary (well under a second, against a minute or more per block) keeps the peak at the
     * larger phase. Skipped for models whose block is small (nothing to gain, and tests stay fast).
     */
    private void phaseBoundary() {
        if (4L * pruned.config().prunablePerBlock() >= PHASE_COLLECTION_BYTES) System.gc();
    }

    /** Blocks of at least this many float32 bytes get a collection between phases (7B: 810 MB; stories260K: 0.1 MB). */
    static final long PHASE_COLLECTION_BYTES = 64L << 20;

    /** out = block(x) for the whole pool, a pass of windows at a time (the tape stays one pass). */
    private void forwardPool(LlamaConfig c, BlockWeights w, Matrix x, Matrix out, BlockTape tape) {
        int T = o.seqLen(), D = c.dim(), P = pool.size(), nb = o.passWindows(pool.batch());
        Matrix xb = null, ob = null;  // one pair of pass buffers, reused (not two new arrays per pass: less for the collector)
        for (int s0 = 0; s0 < P; s0 += nb) {
            int n = Math.min(nb, P - s0), from = s0 * T * D, len = n * T * D;
            if (xb == null || xb.rows() != n * T) {
                xb = new Matrix(n * T, D);
                ob = new Matrix(n * T, D);
            }
            System.arraycopy(x.data(), from, xb.data(), 0, len);
            TrainingBlock.forward(c, w, xb, n, T, tape, ob, team);
            System.arraycopy(ob.data(), 0, out.data(), from, len);
        }
    }

    /** The steps of one block: MSE of the trained block's output to the dense output y on the pool inputs x. */
    private double[] train(LlamaConfig c, int b, BlockWeights s, Trainables tr, Matrix x, Matrix y, BlockTape tape, Listener listener) {
        if (o.passWindows(pool.batch()) < pool.batch()) return trainInPasses(c, b, s, tr, x, y, tape, listener);
        int T = o.seqLen(), D = c.dim(), nb = pool.batch(), rowLen = T * D;
        double[] losses = new double[o.steps()];
        Matrix xb = new Matrix(nb * T, D), yb = new Matrix(nb * T, D), ob = new Matrix(nb * T, D), dOut = new Matrix(nb * T, D);
        for (int step = 0; step < o.steps(); step++) {
            int[] idx = pool.batchIndices(b, step);
            for (int i = 0; i < nb; i++) {
                System.arraycopy(x.data(), idx[i] * rowLen, xb.data(), i * rowLen, rowLen);
                System.arraycopy(y.data(), idx[i] * rowLen, yb.data(), i * rowLen, rowLen);
            }
            AdamSink sink = new AdamSink(tr, b, s, o, o.lrAt(step), step + 1L, team);
            losses[step] = lossAndGradient(c, s, xb, yb, nb, T, tape, ob, dOut, sink, team);
            if (!Double.isFinite(losses[step])) {
                throw new IllegalStateException("block " + b + " step " + (step + 1) + ": the MSE is " + losses[step] + " (diverged: lower --lr)");
            }
            sink.applyNorms();
            listener.stepDone(b, step + 1, losses[step]);
        }
        return losses;
    }

    /**
     * {@link #train} with micro-batches: every step's batch (the same windows) runs as passes of {@code mb} windows whose
     * squared errors and gradients (scaled by the whole batch's size) are summed, then one Adam step from the sums.
     */
    private double[] trainInPasses(LlamaConfig c, int b, BlockWeights s, Trainables tr, Matrix x, Matrix y, BlockTape tape, Listener listener) {
        int T = o.seqLen(), D = c.dim(), nb = pool.batch(), mb = o.passWindows(nb), rowLen = T * D;
        double[] losses = new double[o.steps()];
        Matrix xb = new Matrix(mb * T, D), yb = new Matrix(mb * T, D), ob = new Matrix(mb * T, D), dOut = new Matrix(mb * T, D);
        GradientAccumulator sums = new GradientAccumulator(tr, b, !s.biases().isEmpty(), team);
        long values = (long) nb * rowLen;
        for (int step = 0; step < o.steps(); step++) {
            int[] idx = pool.batchIndices(b, step);
            sums.clear();
            double squares = 0;
            for (int p0 = 0; p0 < nb; p0 += mb) {
                int n = Math.min(mb, nb - p0);
                if (n != mb) throw new IllegalStateException("a batch of " + nb + " windows does not split into passes of " + mb);
                for (int i = 0; i < n; i++) {
                    System.arraycopy(x.data(), idx[p0 + i] * rowLen, xb.data(), i * rowLen, rowLen);
                    System.arraycopy(y.data(), idx[p0 + i] * rowLen, yb.data(), i * rowLen, rowLen);
                }
                squares += passLossAndGradient(c, s, xb, yb, mb, T, values, tape, ob, dOut, sums, team);
                if (!Double.isFinite(squares)) break;
            }
            losses[step] = squares / values;
            if (!Double.isFinite(losses[step])) {
                throw new IllegalStateException("block " + b + " step " + (step + 1) + ": the MSE is " + losses[step] + " (diverged: lower --lr)");
            }
            sums.step(o.lrAt(step), step + 1L, o.hyper());
            listener.stepDone(b, step + 1, losses[step]);
        }
        return losses;
    }

    /**
     * One pass of a step split into passes: the block's forward on {@code xb} (nb windows), the SUM of squared errors
     * to {@code yb} (returned), and, when finite, the backward of the whole batch's MSE restricted to this pass
     * (gradient 2(o − y)/{@code batchValues}) into {@code sink}. Summing the passes gives {@link #lossAndGradient}'s
     * loss times batchValues and its gradient.
     */
    static double passLossAndGradient(LlamaConfig c, BlockWeights s, Matrix xb, Matrix yb, int nb, int T, long batchValues, BlockTape tape,
                                      Matrix ob, Matrix dOut, GradientSink sink, ThreadTeam team) {
        TrainingBlock.forward(c, s, xb, nb, T, tape, ob, team);
        double squares = squaresAndGradient(ob.data(), yb.data(), dOut.data(), batchValues);
        if (Double.isFinite(squares)) TrainingBlock.backward(c, s, tape, dOut, nb, sink, team);
        return squares;
    }

    /**
     * The recovery loss of one batch and its gradient: the block's forward on the inputs {@code xb}
     * (nb windows of T rows, into {@code ob}), the MSE to the targets {@code yb}, and, when the loss
     * is finite, the backward of that MSE with the parameter gradients handed to {@code sink} as one
     * group (the whole batch). A non-finite loss is returned without a backward (the caller stops).
     * The one path training takes; {@code BlockwiseGradientTest} checks it against finite differences.
     */
    static double lossAndGradient(LlamaConfig c, BlockWeights s, Matrix xb, Matrix yb, int nb, int T, BlockTape tape, Matrix ob, Matrix dOut,
                                  GradientSink sink, ThreadTeam team) {
        TrainingBlock.forward(c, s, xb, nb, T, tape, ob, team);
        double loss = mseAndGradient(ob.data(), yb.data(), dOut.data());
        if (Double.isFinite(loss)) TrainingBlock.backward(c, s, tape, dOut, nb, sink, team);
        return loss;
    }

    /** Mean of (o − y)² over all values, and its gradient 2(o − y)/n into {@code g}; the sum runs in a fixed order (deterministic). */
    static double mseAndGradient(float[] out, float[] target, float[] g) {
        return squaresAndGradient(out, target, g, out.length) / out.length;
    }

    /** Sum of (o − y)² over these values, and the gradient of the mean over {@code n} values, 2(o − y)/n, into {@code g}. */
    static double squaresAndGradient(float[] out, float[] target, float[] g, long n) {
        double sum = 0;
        float scale = 2f / (float) n;  // as 2f / n always did (n converts to float)
        for (int i = 0; i < out.length; i++) {
            float d = out[i] - target[i];
            sum += (double) d * d;
            g[i] = scale * d;
        }
        return sum;
    }

    private void saveState(Checkpointing cp, int b, Trainables tr, Matrix x, double[][] losses) throws IOException {
        ObjectNode h = new ObjectMapper().createObjectNode();
        h.put("format", GlobalRecovery.CHECKPOINT_FORMAT).put("version", 1).put("mode", "blockwise").put("block", b);
        StateFile.write(cp.dir().resolve("block-" + b + ".state"), h, tr.tensors(), false);
        StateFile.writeFloats(cp.dir().resolve("activations.bin"), List.of(x.data()));
        ObjectNode state = new ObjectMapper().createObjectNode();
        state.put("format", GlobalRecovery.CHECKPOINT_FORMAT).put("version", 1).put("mode", "blockwise");
        state.put("options", o.fingerprint()).put("model", cp.modelFingerprint()).put("blocks_done", b + 1);
        ArrayNode all = state.putArray("losses");
        for (int i = 0; i <= b; i++) {
            ArrayNode l = all.addArray();
            for (double v : losses[i]) l.add(v);
        }
        AtomicFiles.write(cp.dir().resolve("state.json"), new ObjectMapper().writeValueAsBytes(state));
    }

    private JsonNode readState(Checkpointing cp) throws IOException {
        Path f = cp.dir().resolve("state.json");
        if (!Files.isRegularFile(f)) throw BadInputException.in(cp.dir(), "is not a blockwise recovery checkpoint (no state.json)");
        JsonNode h;
        try {
            h = new ObjectMapper().readTree(f.toFile());
        } catch (IOException e) {
            throw BadInputException.in(f, "unreadable: " + e.getMessage());
        }
        GlobalRecovery.checkHeader(f, h, "blockwise", o, cp.modelFingerprint());
        return h;
    }

    /** Removes a checkpoint directory written by this class (after a finished run). */
    public static void deleteCheckpoint(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.deleteIfExists(dir);
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) Files.delete(p);
        }
    }
}
