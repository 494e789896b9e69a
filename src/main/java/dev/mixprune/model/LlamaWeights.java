package dev.mixprune.model;

import dev.mixprune.quant.Q8Matrix;
import dev.mixprune.sparse.PackedNM;
import dev.mixprune.sparse.PackedNMQ8;
import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;

import java.util.ArrayList;
import java.util.List;

/**
 * All weights of a LLaMA model in float32. When the classifier is shared with the embedding,
 * {@link #classifier()} returns the same matrix object as {@link #tokenEmbedding()}.
 * <p>
 * The forward multiplies by {@link #head()}, the classifier in the form it is run in: the dense
 * classifier itself unless a quantized form was attached ({@link #withHead}, {@link #quantized8});
 * {@link #classifier()} stays the float32 matrix for everything that reads weights.
 */
public final class LlamaWeights {
    private final LlamaConfig config;
    private final Matrix tokenEmbedding;
    private final List<BlockWeights> blocks;
    private final float[] finalNorm;
    private final Matrix classifier;
    private final LinearWeight head;

    public LlamaWeights(LlamaConfig config, Matrix tokenEmbedding, List<BlockWeights> blocks, float[] finalNorm, Matrix classifier) {
        this(config, tokenEmbedding, blocks, finalNorm, classifier, null);
    }

    private LlamaWeights(LlamaConfig config, Matrix tokenEmbedding, List<BlockWeights> blocks, float[] finalNorm, Matrix classifier, LinearWeight head) {
        this.config = config;
        this.tokenEmbedding = tokenEmbedding;
        this.blocks = new ArrayList<>(blocks);
        this.finalNorm = finalNorm;
        this.classifier = config.sharedClassifier() ? tokenEmbedding : classifier;
        this.head = head != null ? head : this.classifier;
        validate();
        if (this.head.rows() != config.vocabSize() || this.head.cols() != config.dim()) {
            throw new IllegalArgumentException("head has shape " + this.head.shape() + ", expected " + config.vocabSize() + "x" + config.dim());
        }
    }

    private void validate() {
        LlamaConfig c = config;
        if (tokenEmbedding.rows() != c.vocabSize() || tokenEmbedding.cols() != c.dim()) {
            throw new IllegalArgumentException("token_embedding has shape " + tokenEmbedding.shape() + ", expected " + c.vocabSize() + "x" + c.dim());
        }
        if (blocks.size() != c.nLayers()) throw new IllegalArgumentException("model has " + blocks.size() + " blocks, config says " + c.nLayers());
        for (int i = 0; i < blocks.size(); i++) blocks.get(i).validate(c, i);
        if (finalNorm.length != c.dim()) throw new IllegalArgumentException("final norm has " + finalNorm.length + " values, expected " + c.dim());
        if (classifier == null) throw new IllegalArgumentException("unshared classifier missing");
        if (classifier.rows() != c.vocabSize() || classifier.cols() != c.dim()) {
            throw new IllegalArgumentException("classifier has shape " + classifier.shape() + ", expected " + c.vocabSize() + "x" + c.dim());
        }
    }

    public LlamaConfig config() { return config; }
    public Matrix tokenEmbedding() { return tokenEmbedding; }
    public List<BlockWeights> blocks() { return blocks; }
    public BlockWeights block(int i) { return blocks.get(i); }
    public float[] finalNorm() { return finalNorm; }
    public Matrix classifier() { return classifier; }

    /** The classifier in the form the forward runs it (a quantized head, or the classifier itself). */
    public LinearWeight head() { return head; }

    /** The same weights with {@code h} (same shape as the classifier, e.g. its Q8_0 form) as the head. */
    public LlamaWeights withHead(LinearWeight h) {
        return new LlamaWeights(config, tokenEmbedding, blocks, finalNorm, classifier, h);
    }

    /**
     * The model with 8-bit weights where they fit, as a quantized GGUF would hold them: dense
     * linears and the head as Q8_0 ({@link Q8Matrix}, rows of whole 32-value blocks; other shapes
     * stay float), packed N:M linears with 8-bit kept values ({@link PackedNMQ8}). Embedding, norms
     * and the float classifier are shared.
     */
    public LlamaWeights quantized8() {
        LlamaWeights q = mapLinears(w -> switch (w) {
            case Matrix d when Q8Matrix.fits(d.cols()) -> Q8Matrix.quantize(d);
            case PackedNM p -> PackedNMQ8.quantize(p);
            default -> w;
        });
        return Q8Matrix.fits(config.dim()) && head instanceof Matrix d ? q.withHead(Q8Matrix.quantize(d)) : q;
    }

    public Matrix linear(LayerId id) { return blocks.get(id.block()).linear(id.kind()); }

    /** The stored form (dense or packed) of one linear. */
    public LinearWeight weight(LayerId id) { return blocks.get(id.block()).weight(id.kind()); }

    /** True when any linear is stored packed. */
    public boolean isPacked() {
        for (BlockWeights b : blocks) if (b.hasPacked()) return true;
        return false;
    }

    /**
     * A model whose every linear that is N:M sparse for group size {@code m} with N < M is packed
     * with the smallest such N (each layer its own N); layers with a group of M non-zeros stay
     * dense. Embedding, norms and classifier are shared with this model, not copied.
     */
    public LlamaWeights pack(int m) {
        return mapLinears(w -> {
            if (w instanceof Matrix d) {
                int n = PackedNM.maxNonZerosPerGroup(d, m);
                // An all-zero layer still needs one slot per group.
                if (n < m) return PackedNM.pack(d, Math.max(1, n), m);
            }
            return w;
        });
    }

    /** The dense equivalent: every packed linear expanded (dense ones shared, not copied). */
    public LlamaWeights unpack() {
        return mapLinears(w -> switch (w) {
            case Matrix d -> d;
            case PackedNM p -> p.toDense();
            case PackedNMQ8 p -> p.toDense();
            case Q8Matrix q -> q.toDense();
            default -> throw new IllegalStateException("unknown weight storage " + w.getClass().getName());
        });
    }

    /** A model with every linear replaced by {@code f} of it; norms, embedding and classifier shared. */
    private LlamaWeights mapLinears(java.util.function.UnaryOperator<LinearWeight> f) {
        List<BlockWeights> out = new ArrayList<>();
        for (int l = 0; l < blocks.size(); l++) {
            BlockWeights b = blocks.get(l);
            java.util.EnumMap<LayerKind, LinearWeight> lin = new java.util.EnumMap<>(LayerKind.class);
            for (LayerKind k : LayerKind.values()) lin.put(k, f.apply(b.weight(k)));
            out.add(new BlockWeights(b.attNorm(), b.ffnNorm(), lin, b.biases(), l));
        }
        return new LlamaWeights(config, tokenEmbedding, out, finalNorm, classifier, head);
    }

    /** Deep copy (a shared classifier stays shared). */
    public LlamaWeights copy() {
        List<BlockWeights> b = new ArrayList<>();
        for (BlockWeights w : blocks) b.add(w.copy());
        Matrix emb = tokenEmbedding.copy();
        return new LlamaWeights(config, emb, b, finalNorm.clone(), config.sharedClassifier() ? emb : classifier.copy());
    }

    /** Same weights under a config with another context length (the window length is not a weight). */
    public LlamaWeights withConfig(LlamaConfig newConfig) {
        return new LlamaWeights(newConfig, tokenEmbedding, blocks, finalNorm, classifier, head == classifier ? null : head);
    }
}
