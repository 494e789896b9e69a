package dev.mixprune.model;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Hyper-parameters of a LLaMA-family decoder (Llama 1/2/3, Mistral, Qwen2, SmolLM, ...): everything
 * the forward, backward and the file formats need, whatever family the model came from.
 *
 * @param family           id of the model family ({@code model.family.ModelFamilies}): decides file
 *                         names and metadata on write; the math below does not depend on it
 * @param dim              model width (residual stream)
 * @param hiddenDim        feed-forward width (w1/w3 out, w2 in)
 * @param nLayers          number of decoder blocks
 * @param nHeads           query heads
 * @param nKvHeads         key/value heads (GQA when fewer than nHeads)
 * @param headDim          width of one head; usually dim / nHeads, but explicit in some families
 *                         (then q has {@link #qDim()} = nHeads * headDim rows, not dim)
 * @param vocabSize        vocabulary size
 * @param seqLen           context length the model was trained with (default evaluation window)
 * @param normEps          RMSNorm epsilon (llama2.c: 1e-5)
 * @param ropeTheta        RoPE base (10000 for LLaMA-1/2, 500000 for Llama 3, 1e6 for Qwen2)
 * @param ropeScaling      RoPE frequency scaling ({@link RopeScaling#NONE} for plain RoPE)
 * @param biases           the linears that have an additive bias (Qwen2: wq, wk, wv); never pruned
 * @param sharedClassifier true when the output classifier is the token embedding (tied)
 */
public record LlamaConfig(String family, int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int headDim, int vocabSize,
                          int seqLen, float normEps, float ropeTheta, RopeScaling ropeScaling, Set<LayerKind> biases, boolean sharedClassifier) {

    public static final float DEFAULT_EPS = 1e-5f;
    public static final float DEFAULT_ROPE_THETA = 10000f;
    /** The family of llama2.c files and of every config that does not name one. */
    public static final String LLAMA = "llama";

    public LlamaConfig {
        require(family != null && !family.isEmpty(), "family must be named");
        require(dim > 0, "dim must be > 0, got " + dim);
        require(hiddenDim > 0, "hidden_dim must be > 0, got " + hiddenDim);
        require(nLayers > 0, "n_layers must be > 0, got " + nLayers);
        require(nHeads > 0, "n_heads must be > 0, got " + nHeads);
        require(nKvHeads > 0 && nKvHeads <= nHeads && nHeads % nKvHeads == 0,
                "n_kv_heads must divide n_heads (" + nHeads + "), got " + nKvHeads);
        require(headDim > 0, "head_dim must be > 0, got " + headDim);
        require(headDim % 2 == 0, "head size " + headDim + " must be even for RoPE");
        require((long) nHeads * headDim <= Integer.MAX_VALUE / 2, "n_heads * head_dim is too large");
        require(vocabSize > 0, "vocab_size must be > 0, got " + vocabSize);
        require(seqLen > 0, "seq_len must be > 0, got " + seqLen);
        require(normEps > 0, "norm eps must be > 0, got " + normEps);
        require(ropeTheta > 0, "rope theta must be > 0, got " + ropeTheta);
        require(ropeScaling != null, "rope scaling must be given (RopeScaling.NONE for none)");
        require(biases != null, "biases must be given (empty for none)");
        // Iterates in LayerKind order, whatever set was given.
        biases = biases.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(biases));
        if (ropeScaling instanceof RopeScaling.Factors f) {
            require(f.factors().length == headDim / 2, "rope frequency factors: " + f.factors().length + " values for head size " + headDim + ", expected " + headDim / 2);
        }
    }

    /**
     * A plain LLaMA (Llama 1/2, llama2.c): head size dim / n_heads, no biases, plain RoPE.
     */
    public LlamaConfig(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize,
                       int seqLen, float normEps, float ropeTheta, boolean sharedClassifier) {
        this(LLAMA, dim, hiddenDim, nLayers, nHeads, nKvHeads, defaultHeadDim(dim, nHeads), vocabSize, seqLen, normEps, ropeTheta,
                RopeScaling.NONE, Set.of(), sharedClassifier);
    }

    /** dim / nHeads, refusing a width that does not split into whole heads. */
    public static int defaultHeadDim(int dim, int nHeads) {
        require(nHeads > 0, "n_heads must be > 0, got " + nHeads);
        require(dim % nHeads == 0, "dim (" + dim + ") must be a multiple of n_heads (" + nHeads + ")");
        return dim / nHeads;
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("invalid model config: " + message);
    }

    /** Width of one attention head. */
    public int headSize() { return headDim; }
    /** Width of q and of the attention output (the input of wo): nHeads * headDim. */
    public int qDim() { return nHeads * headDim; }
    public int kvDim() { return nKvHeads * headDim; }
    /** Query heads per kv head. */
    public int kvRepeat() { return nHeads / nKvHeads; }

    /** True when the linear {@code kind} has a bias. */
    public boolean hasBias(LayerKind kind) { return biases.contains(kind); }

    /** True when head size, biases and RoPE are those of a plain llama2.c model (which is all llama2.c .bin can hold). */
    public boolean isPlainLlama() {
        return headDim * nHeads == dim && biases.isEmpty() && ropeScaling.equals(RopeScaling.NONE);
    }

    /** Shape [rows=out, cols=in] of a prunable layer. */
    public int rowsOf(LayerKind kind) {
        return switch (kind) {
            case WQ -> qDim();
            case WO -> dim;
            case WK, WV -> kvDim();
            case W1, W3 -> hiddenDim;
            case W2 -> dim;
        };
    }

    public int colsOf(LayerKind kind) {
        return switch (kind) {
            case WQ, WK, WV, W1, W3 -> dim;
            case WO -> qDim();
            case W2 -> hiddenDim;
        };
    }

    public long weightsOf(LayerKind kind) { return (long) rowsOf(kind) * colsOf(kind); }

    /** Weights of one block's 7 prunable linears. */
    public long prunablePerBlock() {
        long n = 0;
        for (LayerKind k : LayerKind.values()) n += weightsOf(k);
        return n;
    }

    public long prunableTotal() { return prunablePerBlock() * nLayers; }

    /** Bias values of one block (dense, never pruned). */
    public long biasesPerBlock() {
        long n = 0;
        for (LayerKind k : biases) n += rowsOf(k);
        return n;
    }

    /** All parameters (embedding, norms, linears, biases, classifier if unshared). */
    public long parameterCount() {
        long perBlock = prunablePerBlock() + biasesPerBlock() + 2L * dim;
        long n = (long) vocabSize * dim + perBlock * nLayers + dim;
        if (!sharedClassifier) n += (long) vocabSize * dim;
        return n;
    }

    public LlamaConfig withSeqLen(int newSeqLen) {
        return new LlamaConfig(family, dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, newSeqLen, normEps, ropeTheta, ropeScaling, biases, sharedClassifier);
    }

    public LlamaConfig withFamily(String newFamily) {
        return new LlamaConfig(newFamily, dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, seqLen, normEps, ropeTheta, ropeScaling, biases, sharedClassifier);
    }

    public LlamaConfig withHeadDim(int newHeadDim) {
        return new LlamaConfig(family, dim, hiddenDim, nLayers, nHeads, nKvHeads, newHeadDim, vocabSize, seqLen, normEps, ropeTheta, ropeScaling, biases, sharedClassifier);
    }

    public LlamaConfig withBiases(Set<LayerKind> newBiases) {
        return new LlamaConfig(family, dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, seqLen, normEps, ropeTheta, ropeScaling, newBiases, sharedClassifier);
    }

    public LlamaConfig withRope(float newTheta, RopeScaling newScaling) {
        return new LlamaConfig(family, dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, seqLen, normEps, newTheta, newScaling, biases, sharedClassifier);
    }

    public LlamaConfig withSharedClassifier(boolean shared) {
        return new LlamaConfig(family, dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, seqLen, normEps, ropeTheta, ropeScaling, biases, shared);
    }
}
