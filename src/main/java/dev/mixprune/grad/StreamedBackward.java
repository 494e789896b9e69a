package dev.mixprune.grad;

import dev.mixprune.io.BlockSource;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Loss and gradients of a batch of sequences through a whole model read block by block from a
 * {@link BlockSource}, holding one block in float32 at a time: the forward runs blocks 0..L-1 and
 * saves each block's input in {@link Checkpoints}; the loss head ({@link NllHead}) gives
 * dL/d(last hidden state); the backward runs blocks L-1..0, reading each block again and
 * recomputing its forward from the checkpoint before its {@link TrainingBlock#backward}. Each
 * block is read twice per batch (the last one once: its forward record is still on the tape).
 *
 * <p>Memory: one block in float32, one {@link BlockTape} for the batch's rows, three [rows][dim]
 * residual matrices, the head's chunks, and the checkpoints (in memory or in a temp file).
 */
public final class StreamedBackward {
    private StreamedBackward() {}

    /** Progress of one batch: called after each block's forward and after each block's backward. */
    @FunctionalInterface
    public interface Listener {
        void blockDone(boolean backward, int block);

        /**
         * Block {@code block}'s backward has run (its gradients are all in its sink) and {@code w}
         * is about to be released to the source: the place to apply updates that the backward
         * still needed the old values for (a training step's norm gains).
         */
        default void backwardDone(int block, BlockWeights w) { }

        Listener NONE = (b, l) -> { };
    }

    /** Losses of the batch's sequences and dL/d(block 0 input), [rows][dim] (the embedding rows' gradient). */
    public record Result(double[] losses, Matrix inputGradient) {}

    /**
     * @param seqs          nSeq sequences of equal length T (targets: each next token)
     * @param seqsPerGroup  parameter gradients per group of this many sequences (1: per sequence)
     * @param sinkOf        the gradient sink of block b
     * @param tape          reused across batches (sized by the batch)
     * @param headChunkBytes bound of the head's classifier and logits chunks
     */
    public static Result run(BlockSource src, int[][] seqs, Checkpoints checkpoints, int seqsPerGroup, IntFunction<GradientSink> sinkOf,
                             BlockTape tape, long headChunkBytes, Listener listener, ThreadTeam team) {
        LlamaConfig c = src.config();
        double[] weights = new double[seqs.length];
        Arrays.fill(weights, 1.0);
        NllHead.ClassifierRows cls = c.sharedClassifier() ? src::embeddingRows : src::classifierRows;
        float[] finalNorm = src.finalNorm();
        LossHead nll = (hidden, s, dHidden, t) -> NllHead.lossAndGradient(c, finalNorm, cls, hidden, s, weights, dHidden, null, headChunkBytes, t);
        return run(src, seqs, checkpoints, seqsPerGroup, sinkOf, tape, nll, listener, team);
    }

    /**
     * As {@link #run(BlockSource, int[][], Checkpoints, int, IntFunction, BlockTape, long, Listener, ThreadTeam)}
     * with any loss head (e.g. {@link KlHead} for distillation).
     */
    public static Result run(BlockSource src, int[][] seqs, Checkpoints checkpoints, int seqsPerGroup, IntFunction<GradientSink> sinkOf,
                             BlockTape tape, LossHead head, Listener listener, ThreadTeam team) {
        LlamaConfig c = src.config();
        int nSeq = seqs.length, T = seqs[0].length, L = c.nLayers();
        if (T < 2) throw new IllegalArgumentException("sequences need at least 2 tokens for a next-token loss, got " + T);
        for (int n = 0; n < nSeq; n++) {
            if (seqs[n].length != T) throw new IllegalArgumentException("sequences of a batch need equal lengths: sequence " + n + " has " + seqs[n].length + ", sequence 0 has " + T);
            for (int t = 0; t < T; t++) {
                int tok = seqs[n][t];
                if (tok < 0 || tok >= c.vocabSize()) throw new IllegalArgumentException("sequence " + n + " position " + t + ": token " + tok + " outside vocabulary 0.." + (c.vocabSize() - 1));
            }
        }
        Matrix x = src.embed(Arrays.asList(seqs), T);
        Matrix next = new Matrix(x.rows(), x.cols());
        BlockWeights last = null;
        for (int l = 0; l < L; l++) {
            checkpoints.put(l, x);
            BlockWeights w = src.block(l);
            TrainingBlock.forward(c, w, x, nSeq, T, tape, next, team);
            if (l < L - 1) src.release(w);
            else last = w; // kept: its forward is still on the tape for the first backward step
            Matrix t = x;
            x = next;
            next = t;
            listener.blockDone(false, l);
        }
        // x is the hidden state after the last block; next is block L-1's input (the tape's x)
        Matrix dRes = new Matrix(x.rows(), x.cols());
        double[] losses = head.lossAndGradient(x, seqs, dRes, team);
        Matrix input = next, scratchOut = x;
        for (int l = L - 1; l >= 0; l--) {
            BlockWeights w;
            if (l == L - 1) {
                w = last;
            } else {
                w = src.block(l);
                checkpoints.get(l, input);
                TrainingBlock.forward(c, w, input, nSeq, T, tape, scratchOut, team);
            }
            TrainingBlock.backward(c, w, tape, dRes, seqsPerGroup, sinkOf.apply(l), team);
            listener.backwardDone(l, w);
            src.release(w);
            listener.blockDone(true, l);
        }
        return new Result(losses, dRes);
    }

    /**
     * The hidden state after the last block of {@code seqs} (nSeq*T rows), forward only, one block of
     * {@code src} in memory at a time, on the same float32 kernels as {@link #run} ({@code tape} is
     * used as scratch): a teacher's side of a distillation step.
     */
    public static Matrix forward(BlockSource src, int[][] seqs, BlockTape tape, ThreadTeam team) {
        LlamaConfig c = src.config();
        int nSeq = seqs.length, T = seqs[0].length;
        Matrix x = src.embed(Arrays.asList(seqs), T);
        Matrix next = new Matrix(x.rows(), x.cols());
        for (int l = 0; l < c.nLayers(); l++) {
            BlockWeights w = src.block(l);
            TrainingBlock.forward(c, w, x, nSeq, T, tape, next, team);
            src.release(w);
            Matrix t = x;
            x = next;
            next = t;
        }
        return x;
    }
}
