package dev.mixprune.prune;

import dev.mixprune.BadInputException;
import dev.mixprune.NonFiniteException;
import dev.mixprune.io.BlockSink;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.model.ActivationCapture;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.InputGroup;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Block-by-block pruning as the reference repositories do it (docs/algorithms.md 1.2):
 * <pre>
 * h = embeddings of the calibration windows
 * for each block i:
 *     one forward of the (dense) block over all windows; capture collects the statistics of its
 *         4 distinct linear inputs (each once, shared by wq/wk/wv and by w1/w3)
 *     prune the 7 linears per the plan
 *     h = PRUNED: the re-run output of the pruned block | DENSE: the output of the dense forward
 * </pre>
 * Memory: only the residual stream of the windows (split into chunks of sequences that go
 * through the block forward one at a time), the current block and its statistics are held.
 * Magnitude without reconstruction errors needs no data and runs no forward at all.
 *
 * <p>One loop serves both uses: {@link #run(BlockSource, BlockSink, SparsityPlan, List)} streams a
 * model from a file to a file block by block ({@code prune}); {@link #run(LlamaWeights, SparsityPlan, List)}
 * prunes an in-memory model IN PLACE (search, run) through the same loop.
 */
public final class SequentialPruner {

    /**
     * @param chunkSequences sequences per block-forward call (bounds activation memory)
     * @param reconstructionError also collect each input's Gram matrix and report ||W X - W' X||^2 per layer
     */
    public record Options(PruneMethod method, Propagation propagation, boolean reconstructionError, int chunkSequences,
                          SparseGptOptions sparseGpt) {
        public Options {
            if (method == null) throw new IllegalArgumentException("method is null");
            if (propagation == null) propagation = Propagation.PRUNED;
            if (chunkSequences < 1) throw new IllegalArgumentException("chunk must hold >= 1 sequence");
            if (sparseGpt == null) sparseGpt = SparseGptOptions.defaults();
        }

        public static Options of(PruneMethod method) {
            return new Options(method, Propagation.PRUNED, false, 16, SparseGptOptions.defaults());
        }

        public Options withPropagation(Propagation p) { return new Options(method, p, reconstructionError, chunkSequences, sparseGpt); }
        public Options withReconstructionError(boolean on) { return new Options(method, propagation, on, chunkSequences, sparseGpt); }
        public Options withChunkSequences(int n) { return new Options(method, propagation, reconstructionError, n, sparseGpt); }
    }

    private final Options options;
    private final BlockRunner runner;
    private final PruneListener listener;

    public SequentialPruner(Options options, BlockRunner runner, PruneListener listener) {
        this.options = options;
        this.runner = runner;
        this.listener = listener == null ? PruneListener.NONE : listener;
    }

    public SequentialPruner(Options options, PruneListener listener) { this(options, BlockRunner.LLAMA, listener); }

    /** Prunes {@code model} in place per {@code plan}, calibrating on {@code windows} (equal-length token windows). */
    public PruneResult run(LlamaWeights model, SparsityPlan plan, List<int[]> windows) {
        try {
            // The in-memory source hands out the model's own blocks: pruning them prunes the model.
            return run(new WeightsBlockSource(model), BlockSink.DISCARD, plan, windows);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // neither the in-memory source nor the discarding sink does I/O
        }
    }

    /**
     * Prunes the blocks of {@code source} one at a time per {@code plan} and hands each pruned block
     * to {@code sink} (in order) as soon as its re-run is done; after that the pruner holds no
     * reference to it, so at most one block of weights is alive (plus the residual stream of the
     * calibration windows and the current block's statistics). The caller finishes the sink.
     */
    public PruneResult run(BlockSource source, BlockSink sink, SparsityPlan plan, List<int[]> windows) throws IOException {
        LlamaConfig c = source.config();
        plan.checkFits(c, "sparsity plan");
        boolean needData = options.method().needsActivations() || options.reconstructionError();
        int seqLen = needData ? checkWindows(c, windows) : 0;
        boolean needGram = options.method().needsHessian() || options.reconstructionError();
        SparseGptOptions sgo = options.sparseGpt().withWarnings(listener::warning);
        LayerPruner pruner = LayerPruner.of(options.method(), sgo);

        List<Matrix> chunks = new ArrayList<>();
        List<Integer> chunkSeqs = new ArrayList<>();
        if (needData) {
            for (int s = 0; s < windows.size(); s += options.chunkSequences()) {
                int n = Math.min(options.chunkSequences(), windows.size() - s);
                chunks.add(source.embed(windows.subList(s, s + n), seqLen));
                chunkSeqs.add(n);
            }
        }

        List<PruneResult.LayerReport> layers = new ArrayList<>();
        List<PruneResult.BlockReport> blocks = new ArrayList<>();
        int nBlocks = c.nLayers();
        for (int b = 0; b < nBlocks; b++) {
            listener.blockStarted(b, nBlocks);
            long tRead = System.nanoTime();
            BlockWeights bw = source.block(b);
            long t0 = System.nanoTime();

            Map<InputGroup, InputStats> stats = new EnumMap<>(InputGroup.class);
            if (needData) {
                for (LayerKind k : LayerKind.values()) {
                    stats.computeIfAbsent(k.input(), g -> new InputStats(c.colsOf(k), needGram));
                }
                for (int i = 0; i < chunks.size(); i++) {
                    int nSeq = chunkSeqs.get(i);
                    final int block = b;
                    ActivationCapture capture = (blk, group, input) -> {
                        if (blk != block) throw new IllegalStateException("capture for block " + blk + " while pruning block " + block);
                        InputStats st = stats.get(group);
                        if (st != null) st.add(input, nSeq, seqLen);
                    };
                    Matrix out = runner.forward(c, bw, b, chunks.get(i), nSeq, seqLen, capture);
                    requireFinite(out, source, b, windowsBefore(chunkSeqs, i), seqLen);
                    if (options.propagation() == Propagation.DENSE) chunks.set(i, out);
                }
            }
            long t1 = System.nanoTime();

            long blockZeros = 0, blockWeights = 0;
            for (LayerKind k : LayerKind.values()) {
                LayerId id = new LayerId(b, k);
                Pattern p = plan.patternOf(id);
                Matrix w = bw.linear(k);
                InputStats st = stats.get(k.input());
                Matrix before = options.reconstructionError() ? w.copy() : null;
                try {
                    pruner.prune(w, p, st);
                } catch (NonFiniteException e) {
                    throw e.in(source.path() + ": layer " + id);
                }
                long zeros = w.countZeros();
                double err = before == null ? Double.NaN : st.reconstructionError(before, w);
                PruneResult.LayerReport lr = new PruneResult.LayerReport(id, p, zeros, w.size(), err);
                layers.add(lr);
                listener.layerPruned(lr);
                blockZeros += zeros;
                blockWeights += w.size();
            }
            stats.clear(); // the statistics (Gram matrices) die here, before the re-run allocates
            long t2 = System.nanoTime();

            if (needData && options.propagation() == Propagation.PRUNED && b + 1 < nBlocks) {
                for (int i = 0; i < chunks.size(); i++) {
                    chunks.set(i, runner.forward(c, bw, b, chunks.get(i), chunkSeqs.get(i), seqLen, ActivationCapture.NONE));
                    requireFinite(chunks.get(i), source, b, windowsBefore(chunkSeqs, i), seqLen);
                }
            }
            long t3 = System.nanoTime();
            sink.accept(b, bw);
            source.release(bw); // written (or kept by its in-memory owner): its arrays may hold the next block
            bw = null;
            long t4 = System.nanoTime();
            PruneResult.BlockReport rep = new PruneResult.BlockReport(b, (t0 - tRead + t4 - t3) / 1e9, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9,
                    blockZeros, blockWeights);
            blocks.add(rep);
            listener.blockFinished(rep, nBlocks);
        }
        return new PruneResult(options.method(), options.propagation(), layers, blocks);
    }

    private static int windowsBefore(List<Integer> chunkSeqs, int chunk) {
        int n = 0;
        for (int i = 0; i < chunk; i++) n += chunkSeqs.get(i);
        return n;
    }

    /** A block's output activations must be finite; else name the model, the block and the calibration window. */
    private static void requireFinite(Matrix out, BlockSource source, int block, int firstWindow, int seqLen) {
        int bad = dev.mixprune.tensor.NonFinite.first(out.data());
        if (bad >= 0) {
            int row = bad / out.cols();
            throw new NonFiniteException(source.path() + ": the output of block " + block + " is " + out.data()[bad] + " at calibration window "
                    + (firstWindow + row / seqLen) + ", position " + row % seqLen + ": the model's activations overflow (damaged or extreme weights?)");
        }
    }

    private static int checkWindows(LlamaConfig c, List<int[]> windows) {
        if (windows == null || windows.isEmpty()) throw new BadInputException("calibration: no windows (need at least one)");
        int len = windows.get(0).length;
        if (len < 1) throw new BadInputException("calibration: windows are empty");
        if (len > c.seqLen()) throw new BadInputException("calibration: window length " + len + " exceeds the model's context length " + c.seqLen());
        for (int i = 0; i < windows.size(); i++) {
            int[] w = windows.get(i);
            if (w.length != len) throw new BadInputException("calibration: window " + i + " has " + w.length + " tokens, window 0 has " + len);
            for (int t = 0; t < w.length; t++) {
                if (w[t] < 0 || w[t] >= c.vocabSize()) {
                    throw new BadInputException("calibration: window " + i + " position " + t + ": token id " + w[t] + " outside [0, " + c.vocabSize() + ")");
                }
            }
        }
        return len;
    }

    /** Residual stream input of block 0: the embedding rows of the tokens, sequence-major. */
    static Matrix embed(LlamaWeights model, List<int[]> seqs, int seqLen) {
        return new WeightsBlockSource(model).embed(seqs, seqLen);
    }
}
