package dev.mixprune.prune;

import dev.mixprune.eval.Perplexity;
import dev.mixprune.eval.PerplexityResult;
import dev.mixprune.io.BlockSource;
import dev.mixprune.model.ActivationCapture;
import dev.mixprune.model.BlockForward;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerOps;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaForward;
import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Protocol P perplexity ({@link Perplexity}) computed block by block from a {@link BlockSource},
 * so that a model streamed from a file is evaluated with one block in memory: the residual stream
 * of ALL windows is kept (windows x seqLen x dim floats) and each block, read once, advances every
 * batch of it; then the final norm and the classifier (the whole classifier, vocab x dim, is read
 * for this step) give the logits batch by batch. Batches, kernels and the summation order are
 * those of {@link Perplexity#compute(dev.mixprune.model.LlamaWeights, int[], int)}, so the result
 * is bit-identical to the in-memory computation on the same weights (tested).
 */
public final class BlockwisePerplexity {
    private BlockwisePerplexity() {}

    public static PerplexityResult compute(BlockSource source, int[] stream, int seqLen) {
        return compute(source, stream, seqLen, n -> { });
    }

    /** With {@code stepsDone} told of each finished step: one per block, then one for the head (nLayers + 1 in all; for progress). */
    public static PerplexityResult compute(BlockSource source, int[] stream, int seqLen, java.util.function.IntConsumer stepsDone) {
        Run run = start(source, stream, seqLen);
        for (int b = 0; b < source.config().nLayers(); b++) {
            BlockWeights w = source.block(b);
            run.advance(b, w);
            source.release(w);
            stepsDone.accept(1);
        }
        PerplexityResult r;
        try {
            r = run.finish(source.finalNorm(), source.classifier());
        } catch (dev.mixprune.NonFiniteException e) {
            throw e.inModel(source.path());
        }
        stepsDone.accept(1);
        return r;
    }

    /**
     * The same computation fed block by block by its caller: a pruner hands each pruned block to
     * {@link Run#advance} as it finishes it, so the pruned model's perplexity needs neither a copy of
     * the model nor a second pass over a written file. The embeddings come from {@code source} (the
     * pruned model shares them).
     */
    public static Run start(BlockSource source, int[] stream, int seqLen) {
        if (seqLen < 2) throw new IllegalArgumentException("seqlen must be >= 2 to score any prediction, got " + seqLen);
        LlamaConfig c = source.config();
        int[][] windows = Perplexity.windows(stream, seqLen);
        if (windows.length == 0) {
            throw new IllegalArgumentException("the text has " + stream.length + " tokens, fewer than one window of " + seqLen);
        }
        int batchSeqs = LlamaForward.batchSeqsFor(c, seqLen, Perplexity.DEFAULT_BATCH_BYTES);
        List<Matrix> residual = new ArrayList<>();
        for (int first = 0; first < windows.length; first += batchSeqs) {
            int count = Math.min(batchSeqs, windows.length - first);
            residual.add(source.embed(Arrays.asList(windows).subList(first, first + count), seqLen));
        }
        return new Run(c, windows, seqLen, batchSeqs, residual);
    }

    /** Bytes a run holds: the residual stream of every window (plus, at the end, the classifier and one batch of logits). */
    public static long residualBytes(LlamaConfig c, int tokens, int seqLen) {
        return 4L * (tokens / seqLen) * seqLen * c.dim();
    }

    /** The residual streams of all evaluation windows between blocks. */
    public static final class Run {
        private final LlamaConfig c;
        private final int[][] windows;
        private final int seqLen, batchSeqs;
        private final List<Matrix> residual;
        private int next;

        private Run(LlamaConfig c, int[][] windows, int seqLen, int batchSeqs, List<Matrix> residual) {
            this.c = c;
            this.windows = windows;
            this.seqLen = seqLen;
            this.batchSeqs = batchSeqs;
            this.residual = residual;
        }

        /** Block {@code b} (in order) advances every batch. */
        public void advance(int b, BlockWeights w) {
            if (b != next) throw new IllegalStateException("block " + b + " given, block " + next + " expected");
            for (int i = 0; i < residual.size(); i++) {
                Matrix x = residual.get(i);
                residual.set(i, BlockForward.forward(c, w, b, x, x.rows() / seqLen, seqLen, ActivationCapture.NONE));
            }
            next++;
        }

        public PerplexityResult finish(float[] norm, Matrix classifier) {
            if (next != c.nLayers()) throw new IllegalStateException("perplexity after " + next + " of " + c.nLayers() + " blocks");
            double[] windowNll = new double[windows.length];
            int vocab = c.vocabSize();
            for (int i = 0; i < residual.size(); i++) {
                Matrix logits = Gemm.nt(LayerOps.rmsnorm(residual.get(i), norm, c.normEps()), classifier);
                residual.set(i, null);
                int first = i * batchSeqs, count = logits.rows() / seqLen;
                ThreadTeam.shared().forEach(count, s -> windowNll[first + s] = Perplexity.windowMeanNll(logits, s * seqLen, windows[first + s], vocab));
            }
            Perplexity.requireFinite(windowNll, seqLen); // the caller names the model (it may be one pruned in stream)
            double sum = 0;
            for (double v : windowNll) sum += v; // fixed order, as Perplexity does
            double mean = sum / windows.length;
            return new PerplexityResult(Math.exp(mean), mean, windows.length, (long) windows.length * (seqLen - 1), seqLen);
        }
    }
}
