package dev.mixprune.model;

/**
 * Hyper-parameters of a LLaMA-family decoder.
 *
 * @param dim              model width
 * @param hiddenDim        feed-forward width (w1/w3 out, w2 in)
 * @param nLayers          number of decoder blocks
 * @param nHeads           query heads
 * @param nKvHeads         key/value heads (GQA when fewer than nHeads)
 * @param vocabSize        vocabulary size
 * @param seqLen           context length the model was trained with (default evaluation window)
 * @param normEps          RMSNorm epsilon (llama2.c: 1e-5)
 * @param ropeTheta        RoPE base (10000 for LLaMA-1/2)
 * @param sharedClassifier true when the output classifier is the token embedding
 */
public record LlamaConfig(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize,
                          int seqLen, float normEps, float ropeTheta, boolean sharedClassifier) {

    public static final float DEFAULT_EPS = 1e-5f;
    public static final float DEFAULT_ROPE_THETA = 10000f;

    public LlamaConfig {
        require(dim > 0, "dim must be > 0, got " + dim);
        require(hiddenDim > 0, "hidden_dim must be > 0, got " + hiddenDim);
        require(nLayers > 0, "n_layers must be > 0, got " + nLayers);
        require(nHeads > 0, "n_heads must be > 0, got " + nHeads);
        require(nKvHeads > 0 && nKvHeads <= nHeads && nHeads % nKvHeads == 0,
                "n_kv_heads must divide n_heads (" + nHeads + "), got " + nKvHeads);
        require(dim % nHeads == 0, "dim (" + dim + ") must be a multiple of n_heads (" + nHeads + ")");
        require((dim / nHeads) % 2 == 0, "head size " + (dim / nHeads) + " must be even for RoPE");
        require(vocabSize > 0, "vocab_size must be > 0, got " + vocabSize);
        require(seqLen > 0, "seq_len must be > 0, got " + seqLen);
        require(normEps > 0, "norm eps must be > 0, got " + normEps);
        require(ropeTheta > 0, "rope theta must be > 0, got " + ropeTheta);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("invalid model config: " + message);
    }

    public int headSize() { return dim / nHeads; }
    public int kvDim() { return nKvHeads * headSize(); }
    /** Query heads per kv head. */
    public int kvRepeat() { return nHeads / nKvHeads; }

    /** Shape [rows=out, cols=in] of a prunable layer. */
    public int rowsOf(LayerKind kind) {
        return switch (kind) {
            case WQ, WO -> dim;
            case WK, WV -> kvDim();
            case W1, W3 -> hiddenDim;
            case W2 -> dim;
        };
    }

    public int colsOf(LayerKind kind) {
        return switch (kind) {
            case WQ, WK, WV, WO, W1, W3 -> dim;
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

    /** All parameters (embedding, norms, linears, classifier if unshared). */
    public long parameterCount() {
        long perBlock = prunablePerBlock() + 2L * dim;
        long n = (long) vocabSize * dim + perBlock * nLayers + dim;
        if (!sharedClassifier) n += (long) vocabSize * dim;
        return n;
    }

    public LlamaConfig withSeqLen(int newSeqLen) {
        return new LlamaConfig(dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, newSeqLen, normEps, ropeTheta, sharedClassifier);
    }
}
