package dev.mixprune.prune;

import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.resources.ResourcePlan;
import dev.mixprune.resources.Speed;

import java.util.Locale;

/** The memory and time a streaming prune ({@link SequentialPruner}) and a blockwise perplexity add to a {@link ResourcePlan}. */
public final class PruneResources {
    private PruneResources() {}

    /**
     * One block read from the mapped file in float32 (alive throughout), and in {@code phase}: the residual
     * stream of the calibration windows, one chunk's forward, the block's masks or scores, and for SparseGPT (or
     * reconstruction errors) the Gram matrices of the block's 4 inputs and the double factorization of the widest.
     */
    public static void add(ResourcePlan p, String phase, LlamaConfig c, PruneMethod m, boolean reconstructionError, int nSeq, int seqLen, int chunk) {
        long block = 4L * (c.prunablePerBlock() + 2L * c.dim());
        long largest = Math.max(c.weightsOf(LayerKind.W1), c.weightsOf(LayerKind.WQ));
        int widest = Math.max(c.dim(), c.hiddenDim());
        boolean gram = m.needsHessian() || reconstructionError;
        p.memory(null, "one block read from the mapped file (float32)", block);
        long tokens = (long) nSeq * seqLen, chunkTokens = (long) Math.min(chunk, Math.max(1, nSeq)) * seqLen;
        p.memory(phase, String.format(Locale.ROOT, "residual stream of %d x %d calibration windows", nSeq, seqLen), 4L * tokens * c.dim());
        p.memory(phase, "forward of " + Math.min(chunk, nSeq) + " windows at a time",
                nSeq == 0 ? 0 : 4L * chunkTokens * (6L * c.dim() + 3L * c.hiddenDim() + 2L * c.kvDim()));
        p.memory(phase, m == PruneMethod.MAGNITUDE ? "magnitude: scores and selection of the largest matrix" : "per-layer masks and scores",
                m == PruneMethod.MAGNITUDE ? 17L * largest : largest);
        if (gram) {
            p.memory(phase, "Gram matrices of the block's 4 inputs (float)", 4L * (3L * c.dim() * c.dim() + (long) c.hiddenDim() * c.hiddenDim()));
            p.memory(phase, "SparseGPT: Hessian, factor and inverse of the widest input (double)", 3L * 8 * widest * widest);
        }
        Speed sp = Speed.assumed();
        double fwd = 2.0 * tokens * (c.prunableTotal() + (double) c.nLayers() * seqLen * c.dim());
        p.stage(phase + ": calibration forward and re-run", (m == PruneMethod.MAGNITUDE && !reconstructionError ? 0 : 2) * fwd / sp.flopsPerSecond(),
                tokens + " tokens per block");
        if (gram) {
            double g = 2.0 * tokens * c.nLayers() * (3.0 * c.dim() * c.dim() + (double) c.hiddenDim() * c.hiddenDim());
            double f = c.nLayers() * (3 * Math.pow(c.dim(), 3) + Math.pow(c.hiddenDim(), 3) + 2.0 * c.prunablePerBlock() * widest);
            p.stage(phase + ": Gram matrices, factorizations and sweeps", (g + f) / sp.flopsPerSecond(), "per block: 4 inputs");
        }
        p.stage(phase + ": read, select and write", 3.0 * c.prunableTotal() / sp.weightsPerSecond(), "prunable weights");
    }

    /** {@link BlockwisePerplexity}: the residual stream of every window, then the classifier and one batch of logits; {@code passes} models. */
    public static void addPerplexity(ResourcePlan p, String phase, LlamaConfig c, int tokens, int seqLen, int passes) {
        p.memory(phase, "residual stream of every evaluation window", BlockwisePerplexity.residualBytes(c, tokens, seqLen));
        // One batch of windows goes through a block's forward, then through the head (never both at once; both are counted).
        long windows = Math.max(1, tokens / seqLen);
        long batchTokens = Math.min(windows, dev.mixprune.model.LlamaForward.batchSeqsFor(c, seqLen, dev.mixprune.eval.Perplexity.DEFAULT_BATCH_BYTES)) * (long) seqLen;
        p.memory(phase, "forward of one batch of " + batchTokens + " evaluation tokens", 4L * batchTokens * (6L * c.dim() + 3L * c.hiddenDim() + 2L * c.kvDim()));
        p.memory(phase, "the classifier (float32) and one batch of logits", 4L * c.vocabSize() * c.dim() + 4L * batchTokens * (c.vocabSize() + c.dim()));
        double e = 2.0 * tokens * (c.prunableTotal() + (double) c.vocabSize() * c.dim()) * passes;
        p.stage(phase + ": perplexity", e / Speed.assumed().flopsPerSecond(), passes + " model(s), " + tokens + " tokens");
    }
}
