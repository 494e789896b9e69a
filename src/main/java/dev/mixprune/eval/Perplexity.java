package dev.mixprune.eval;

import dev.mixprune.model.LlamaForward;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;

import dev.mixprune.tensor.ThreadTeam;

/**
 * Protocol P of docs/protocols.md: the token stream is cut into non-overlapping windows of seqLen
 * tokens (tail dropped); each window predicts its positions 1..seqLen-1 from itself alone;
 * ppl = exp(mean over windows of the window's mean NLL). Runs the batched forward a few windows at
 * a time so memory stays bounded; log-softmax is done in double.
 */
public final class Perplexity {
    private Perplexity() {}

    /** Default memory budget for one batch of activations and logits. */
    public static final long DEFAULT_BATCH_BYTES = 256L << 20;

    public static PerplexityResult compute(LlamaWeights w, int[] stream, int seqLen) {
        return compute(w, stream, seqLen, LlamaForward.batchSeqsFor(w.config(), seqLen, DEFAULT_BATCH_BYTES));
    }

    public static PerplexityResult compute(LlamaWeights w, int[] stream, int seqLen, int batchSeqs) {
        return compute(w, stream, seqLen, batchSeqs, n -> { });
    }

    /** With {@code windowsDone} told how many windows each finished batch scored (for progress). */
    public static PerplexityResult compute(LlamaWeights w, int[] stream, int seqLen, java.util.function.IntConsumer windowsDone) {
        return compute(w, stream, seqLen, LlamaForward.batchSeqsFor(w.config(), seqLen, DEFAULT_BATCH_BYTES), windowsDone);
    }

    public static PerplexityResult compute(LlamaWeights w, int[] stream, int seqLen, int batchSeqs, java.util.function.IntConsumer windowsDone) {
        if (seqLen < 2) throw new IllegalArgumentException("seqlen must be >= 2 to score any prediction, got " + seqLen);
        int[][] windows = windows(stream, seqLen);
        if (windows.length == 0) {
            throw new IllegalArgumentException("the text has " + stream.length + " tokens, fewer than one window of " + seqLen);
        }
        double[] windowNll = new double[windows.length];
        int vocab = w.config().vocabSize();
        LlamaForward.forEachBatch(w, windows, batchSeqs, (first, logits) -> {
            int count = logits.rows() / seqLen;
            ThreadTeam.shared().forEach(count, s ->
                    windowNll[first + s] = windowMeanNll(logits, s * seqLen, windows[first + s], vocab));
            windowsDone.accept(count);
        });
        requireFinite(windowNll, seqLen);
        double sum = 0;
        for (double v : windowNll) sum += v; // fixed order: deterministic regardless of threads
        double mean = sum / windows.length;
        return new PerplexityResult(Math.exp(mean), mean, windows.length, (long) windows.length * (seqLen - 1), seqLen);
    }

    /**
     * A NaN or infinite window loss means the model's activations overflowed: an error naming the
     * window (the caller adds the model), never "ppl NaN" (issue 13 F2).
     */
    public static void requireFinite(double[] windowNll, int seqLen) {
        for (int i = 0; i < windowNll.length; i++) {
            if (!Double.isFinite(windowNll[i])) {
                throw new dev.mixprune.NonFiniteException("the loss of window " + i + " (tokens " + (long) i * seqLen + ".." + ((long) (i + 1) * seqLen - 1)
                        + ") is " + windowNll[i] + ": the model's activations overflow (damaged or extreme weights?)");
            }
        }
    }

    /** Non-overlapping windows [i*seqLen, (i+1)*seqLen) of the stream; the incomplete tail is dropped. */
    public static int[][] windows(int[] stream, int seqLen) {
        if (seqLen <= 0) throw new IllegalArgumentException("seqlen must be > 0, got " + seqLen);
        int n = stream.length / seqLen;
        int[][] out = new int[n][];
        for (int i = 0; i < n; i++) out[i] = java.util.Arrays.copyOfRange(stream, i * seqLen, (i + 1) * seqLen);
        return out;
    }

    /** Mean over t = 0..T-2 of -log softmax(logits[row0 + t])[tokens[t+1]], in double. */
    public static double windowMeanNll(Matrix logits, int row0, int[] tokens, int vocab) {
        float[] d = logits.data();
        double total = 0;
        for (int t = 0; t + 1 < tokens.length; t++) {
            int off = (row0 + t) * vocab;
            total += nll(d, off, vocab, tokens[t + 1]);
        }
        return total / (tokens.length - 1);
    }

    /** -log softmax(l[off..off+n))[target] computed in double with the max subtracted. */
    static double nll(float[] l, int off, int n, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, l[off + j]);
        double sum = 0;
        for (int j = 0; j < n; j++) sum += Math.exp(l[off + j] - max);
        return Math.log(sum) + max - l[off + target];
    }
}
