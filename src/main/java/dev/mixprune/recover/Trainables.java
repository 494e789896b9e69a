package dev.mixprune.recover;

import dev.mixprune.grad.Adam;
import dev.mixprune.grad.Mask;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensors a recovery trains, each with its Adam state, in a fixed order (the checkpoint's
 * order): per block the seven linears (masked: their zeros are fixed), the two norm gains and the
 * biases a family has; in global mode also the final norm and, with {@code --train-embeddings}, the
 * embedding and an unshared classifier. The value arrays are the model's own (training updates the
 * model in place).
 */
public final class Trainables {
    /** One trained tensor: its name (GGUF-like), its live values and its optimizer state (its mask for a linear). */
    public record Tensor(String name, float[] values, Adam adam) {
        public Mask mask() { return adam.mask(); }
    }

    private final List<Tensor> tensors = new ArrayList<>();
    private final Map<String, Tensor> byName = new LinkedHashMap<>();

    private Trainables() {}

    /** Global mode: every block, the final norm, and (optionally) the embedding and the classifier of {@code w}. */
    public static Trainables ofModel(LlamaWeights w, boolean embeddings) {
        Trainables t = new Trainables();
        LlamaConfig c = w.config();
        for (int b = 0; b < c.nLayers(); b++) t.addBlock(c, b, w.block(b));
        t.add(new Tensor("output_norm", w.finalNorm(), Adam.dense(w.finalNorm().length)));
        if (embeddings) {
            t.add(new Tensor("token_embd", w.tokenEmbedding().data(), Adam.dense(w.tokenEmbedding().size())));
            if (!c.sharedClassifier()) t.add(new Tensor("output", w.classifier().data(), Adam.dense(w.classifier().size())));
        }
        return t;
    }

    /** Blockwise mode: one block's tensors. */
    public static Trainables ofBlock(LlamaConfig c, int b, BlockWeights w) {
        Trainables t = new Trainables();
        t.addBlock(c, b, w);
        return t;
    }

    private void addBlock(LlamaConfig c, int b, BlockWeights w) {
        for (LayerKind k : LayerKind.values()) {
            Matrix m = w.linear(k);
            add(new Tensor(linearName(b, k), m.data(), Adam.masked(Mask.ofNonZeros(m))));
            float[] bias = w.bias(k);
            if (bias != null) add(new Tensor(linearName(b, k) + ".bias", bias, Adam.dense(bias.length)));
        }
        add(new Tensor(normName(b, true), w.attNorm(), Adam.dense(c.dim())));
        add(new Tensor(normName(b, false), w.ffnNorm(), Adam.dense(c.dim())));
    }

    private void add(Tensor t) {
        tensors.add(t);
        byName.put(t.name(), t);
    }

    public static String linearName(int b, LayerKind k) { return "blk." + b + "." + k.shortName(); }

    public static String normName(int b, boolean attention) { return "blk." + b + (attention ? ".attn_norm" : ".ffn_norm"); }

    public List<Tensor> tensors() { return List.copyOf(tensors); }

    public Tensor get(String name) {
        Tensor t = byName.get(name);
        if (t == null) throw new IllegalArgumentException("no trained tensor " + name);
        return t;
    }

    public Tensor linear(int b, LayerKind k) { return get(linearName(b, k)); }

    /** Zeros (masked entries) of each linear, by name. */
    public Map<String, Long> zerosByLinear() {
        Map<String, Long> z = new LinkedHashMap<>();
        for (Tensor t : tensors) if (t.mask() != null) z.put(t.name(), t.mask().zeros());
        return z;
    }

    /** Weights trained (kept entries of the linears + every entry of the other tensors). */
    public long trainedValues() {
        long n = 0;
        for (Tensor t : tensors) n += t.mask() != null ? t.mask().kept() : t.values().length;
        return n;
    }

    /** Masked linears by kind, for one block (blockwise bookkeeping). */
    public EnumMap<LayerKind, Mask> masks(int b) {
        EnumMap<LayerKind, Mask> m = new EnumMap<>(LayerKind.class);
        for (LayerKind k : LayerKind.values()) m.put(k, linear(b, k).mask());
        return m;
    }
}
