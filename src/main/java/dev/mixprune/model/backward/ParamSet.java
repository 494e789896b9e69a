package dev.mixprune.model.backward;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every parameter of a LLaMA model in double precision, one array per tensor (row-major [out][in]
 * for linears). The same class holds gradients: a gradient set has exactly the parameter layout, so
 * backward kernels accumulate into it with the same indexing. When the classifier is shared with
 * the embedding, {@link #classifier} is the same array as {@link #embedding}, so classifier
 * gradients land in the embedding gradient (weight tying).
 */
public final class ParamSet {
    private final LlamaConfig config;
    /** [vocab][dim]. */
    public final double[] embedding;
    /** [layer][dim]. */
    public final double[][] attNorm;
    /** [layer][dim]. */
    public final double[][] ffnNorm;
    /** [layer][LayerKind.ordinal()][rows*cols]. */
    private final double[][][] linears;
    /** [layer][LayerKind.ordinal()][rows], null for a linear without bias. */
    private final double[][][] biases;
    /** [dim]. */
    public final double[] finalNorm;
    /** [vocab][dim]; the embedding array itself when shared. */
    public final double[] classifier;

    private ParamSet(LlamaConfig c) {
        this.config = c;
        int d = c.dim();
        embedding = new double[c.vocabSize() * d];
        attNorm = new double[c.nLayers()][d];
        ffnNorm = new double[c.nLayers()][d];
        linears = new double[c.nLayers()][LayerKind.values().length][];
        biases = new double[c.nLayers()][LayerKind.values().length][];
        for (int l = 0; l < c.nLayers(); l++) {
            for (LayerKind k : LayerKind.values()) {
                linears[l][k.ordinal()] = new double[Math.toIntExact(c.weightsOf(k))];
                if (c.hasBias(k)) biases[l][k.ordinal()] = new double[c.rowsOf(k)];
            }
        }
        finalNorm = new double[d];
        classifier = c.sharedClassifier() ? embedding : new double[c.vocabSize() * d];
    }

    /** All zeros: a gradient accumulator for {@code c}. */
    public static ParamSet zeros(LlamaConfig c) { return new ParamSet(c); }

    /** The float32 weights widened to double. */
    public static ParamSet of(LlamaWeights w) {
        LlamaConfig c = w.config();
        ParamSet p = new ParamSet(c);
        widen(w.tokenEmbedding().data(), p.embedding);
        for (int l = 0; l < c.nLayers(); l++) {
            BlockWeights b = w.block(l);
            widen(b.attNorm(), p.attNorm[l]);
            widen(b.ffnNorm(), p.ffnNorm[l]);
            for (LayerKind k : LayerKind.values()) {
                widen(b.linear(k).data(), p.linears[l][k.ordinal()]);
                if (c.hasBias(k)) widen(b.bias(k), p.biases[l][k.ordinal()]);
            }
        }
        widen(w.finalNorm(), p.finalNorm);
        if (!c.sharedClassifier()) widen(w.classifier().data(), p.classifier);
        return p;
    }

    private static void widen(float[] src, double[] dst) {
        if (src.length != dst.length) throw new IllegalArgumentException("tensor has " + src.length + " values, expected " + dst.length);
        for (int i = 0; i < src.length; i++) dst[i] = src[i];
    }

    public LlamaConfig config() { return config; }

    /** The [rows*cols] array of one prunable linear. */
    public double[] linear(int layer, LayerKind kind) { return linears[layer][kind.ordinal()]; }

    public double[] linear(LayerId id) { return linear(id.block(), id.kind()); }

    /** The [rows] bias of one linear, or null when it has none. */
    public double[] bias(int layer, LayerKind kind) { return biases[layer][kind.ordinal()]; }

    /** Sets every value to 0 (for reusing a gradient buffer). */
    public void zero() {
        for (Tensor t : tensors()) Arrays.fill(t.data(), 0.0);
    }

    /** Sum of squares of one linear's values. */
    public double sumOfSquares(int layer, LayerKind kind) {
        double s = 0;
        for (double v : linear(layer, kind)) s += v * v;
        return s;
    }

    /** A named view of one tensor; {@code data} is the live array. */
    public record Tensor(String name, int rows, int cols, double[] data) {}

    /**
     * Every distinct tensor, each once (a shared classifier is listed only as the embedding),
     * named like GGUF/llama2.c: token_embd, blk.N.attn_norm, blk.N.wq (blk.N.wq.bias), ..., output_norm, output.
     */
    public List<Tensor> tensors() {
        LlamaConfig c = config;
        List<Tensor> out = new ArrayList<>();
        out.add(new Tensor("token_embd", c.vocabSize(), c.dim(), embedding));
        for (int l = 0; l < c.nLayers(); l++) {
            out.add(new Tensor("blk." + l + ".attn_norm", 1, c.dim(), attNorm[l]));
            for (LayerKind k : LayerKind.values()) {
                if (k == LayerKind.W1) out.add(new Tensor("blk." + l + ".ffn_norm", 1, c.dim(), ffnNorm[l]));
                out.add(new Tensor("blk." + l + "." + k.shortName(), c.rowsOf(k), c.colsOf(k), linears[l][k.ordinal()]));
                if (c.hasBias(k)) out.add(new Tensor("blk." + l + "." + k.shortName() + ".bias", 1, c.rowsOf(k), biases[l][k.ordinal()]));
            }
        }
        out.add(new Tensor("output_norm", 1, c.dim(), finalNorm));
        if (!c.sharedClassifier()) out.add(new Tensor("output", c.vocabSize(), c.dim(), classifier));
        return out;
    }
}
