package dev.mixprune.prune;

import dev.mixprune.eval.Perplexity;
import dev.mixprune.eval.PerplexityResult;
import dev.mixprune.io.BlockSource;
import dev.mixprune.model.ActivationCapture;
import dev.mixprune.model.BlockForward;
import dev.mixprune.model.BlockWeights;
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
        for (int b = 0; b < c.nLayers(); b++) {
            BlockWeights w = source.block(b);
            for (int i = 0; i < residual.size(); i++) {
                Matrix x = residual.get(i);
                residual.set(i, BlockForward.forward(c, w, b, x, x.rows() / seqLen, seqLen, ActivationCapture.NONE));
            }
            source.release(w);
        }
        float[] norm = source.finalNorm();
        Matrix classifier = source.classifier();
        double[] windowNll = new double[windows.length];
        int vocab = c.vocabSize();
        for (int i = 0; i < residual.size(); i++) {
            Matrix logits = Gemm.nt(rmsnorm(residual.get(i), norm, c.normEps()), classifier);
            residual.set(i, null);
            int first = i * batchSeqs, count = logits.rows() / seqLen;
            ThreadTeam.shared().forEach(count, s -> windowNll[first + s] = windowMeanNll(logits, s * seqLen, windows[first + s], vocab));
        }
        double sum = 0;
        for (double v : windowNll) sum += v; // fixed order, as Perplexity does
        double mean = sum / windows.length;
        return new PerplexityResult(Math.exp(mean), mean, windows.length, (long) windows.length * (seqLen - 1), seqLen);
    }

    /** The final RMSNorm exactly as the forward computes it (sum of squares in double). */
    static Matrix rmsnorm(Matrix x, float[] g, float eps) {
        Matrix out = new Matrix(x.rows(), x.cols());
        float[] in = x.data(), o = out.data();
        int n = g.length;
        for (int r = 0; r < x.rows(); r++) {
            int off = r * n;
            double ss = 0;
            for (int i = 0; i < n; i++) ss += (double) in[off + i] * in[off + i];
            float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
            for (int i = 0; i < n; i++) o[off + i] = g[i] * (scale * in[off + i]);
        }
        return out;
    }

    /** Mean over t of -log softmax(logits[row0 + t])[tokens[t+1]], in double with the max subtracted. */
    static double windowMeanNll(Matrix logits, int row0, int[] tokens, int vocab) {
        float[] d = logits.data();
        double total = 0;
        for (int t = 0; t + 1 < tokens.length; t++) {
            int off = (row0 + t) * vocab;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) max = Math.max(max, d[off + j]);
            double sum = 0;
            for (int j = 0; j < vocab; j++) sum += Math.exp(d[off + j] - max);
            total += Math.log(sum) + max - d[off + tokens[t + 1]];
        }
        return total / (tokens.length - 1);
    }
}
