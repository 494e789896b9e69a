package dev.mixprune.model;

import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;

import java.util.EnumMap;
import java.util.Map;

/**
 * The weights of one decoder block: two RMSNorm gains, seven linear layers ([out][in]) and the
 * biases of those linears that have one ({@link LlamaConfig#biases()}: Qwen2's q/k/v), which are
 * never pruned.
 * <p>
 * A linear is usually a dense {@link Matrix}; a deployed model may hold packed N:M weights
 * ({@code sparse.PackedNM}). {@link #weight} returns either; {@link #linear} and the named
 * getters return the dense matrix and refuse a packed layer, so pruning, search and format code
 * (which edit dense matrices) keep working unchanged and fail clearly on a packed model.
 */
public final class BlockWeights {
    private final float[] attNorm;
    private final float[] ffnNorm;
    private final EnumMap<LayerKind, LinearWeight> linears;
    private final EnumMap<LayerKind, float[]> biases;
    /** Only for messages ("blk.3.wq is packed"); -1 when the block does not know its index. */
    private final int index;

    public BlockWeights(float[] attNorm, float[] ffnNorm, Map<LayerKind, ? extends LinearWeight> linears) {
        this(attNorm, ffnNorm, linears, -1);
    }

    public BlockWeights(float[] attNorm, float[] ffnNorm, Map<LayerKind, ? extends LinearWeight> linears, int index) {
        this(attNorm, ffnNorm, linears, Map.of(), index);
    }

    /** With the biases of the linears that have one (the map may be empty). */
    public BlockWeights(float[] attNorm, float[] ffnNorm, Map<LayerKind, ? extends LinearWeight> linears, Map<LayerKind, float[]> biases, int index) {
        this.attNorm = attNorm;
        this.ffnNorm = ffnNorm;
        this.linears = new EnumMap<>(LayerKind.class);
        this.linears.putAll(linears);
        this.biases = new EnumMap<>(LayerKind.class);
        this.biases.putAll(biases);
        this.index = index;
        for (LayerKind k : LayerKind.values()) {
            if (this.linears.get(k) == null) throw new IllegalArgumentException("block is missing linear " + k.shortName());
        }
    }

    /** Checks every shape against the config; the message names the offending tensor. */
    public void validate(LlamaConfig c, int blockIndex) {
        if (attNorm.length != c.dim()) throw new IllegalArgumentException("blk." + blockIndex + ".attention_norm has " + attNorm.length + " values, expected " + c.dim());
        if (ffnNorm.length != c.dim()) throw new IllegalArgumentException("blk." + blockIndex + ".ffn_norm has " + ffnNorm.length + " values, expected " + c.dim());
        for (LayerKind k : LayerKind.values()) {
            LinearWeight m = linears.get(k);
            if (m.rows() != c.rowsOf(k) || m.cols() != c.colsOf(k)) {
                throw new IllegalArgumentException("blk." + blockIndex + "." + k.shortName() + " has shape " + m.shape()
                        + ", expected " + c.rowsOf(k) + "x" + c.colsOf(k));
            }
            float[] bias = biases.get(k);
            if (c.hasBias(k) != (bias != null)) {
                throw new IllegalArgumentException("blk." + blockIndex + "." + k.shortName() + (bias == null ? " has no bias, the config says it has one" : " has a bias, the config says it has none"));
            }
            if (bias != null && bias.length != c.rowsOf(k)) {
                throw new IllegalArgumentException("blk." + blockIndex + "." + k.shortName() + " bias has " + bias.length + " values, expected " + c.rowsOf(k));
            }
        }
    }

    public float[] attNorm() { return attNorm; }
    public float[] ffnNorm() { return ffnNorm; }

    /** The bias of one linear (added after the product), or null when it has none. */
    public float[] bias(LayerKind kind) { return biases.get(kind); }

    /** The biases present, by linear (a copy of the map; the arrays are shared). */
    public Map<LayerKind, float[]> biases() { return new EnumMap<>(biases); }

    /** The weight of one linear in its stored form (dense or packed). */
    public LinearWeight weight(LayerKind kind) { return linears.get(kind); }

    /** True when at least one linear is stored packed (not as a dense matrix). */
    public boolean hasPacked() {
        for (LinearWeight w : linears.values()) if (!(w instanceof Matrix)) return true;
        return false;
    }

    /** The dense matrix of one linear; throws IllegalStateException when it is packed. */
    public Matrix linear(LayerKind kind) {
        LinearWeight w = linears.get(kind);
        if (w instanceof Matrix m) return m;
        throw new IllegalStateException((index >= 0 ? "blk." + index + "." : "") + kind.shortName() + " is packed (" + w
                + "); unpack first (LlamaWeights.unpack())");
    }

    public Matrix wq() { return linear(LayerKind.WQ); }
    public Matrix wk() { return linear(LayerKind.WK); }
    public Matrix wv() { return linear(LayerKind.WV); }
    public Matrix wo() { return linear(LayerKind.WO); }
    public Matrix w1() { return linear(LayerKind.W1); }
    public Matrix w2() { return linear(LayerKind.W2); }
    public Matrix w3() { return linear(LayerKind.W3); }

    /** Replaces one linear (same shape required). */
    public void setLinear(LayerKind kind, Matrix m) { setWeight(kind, m); }

    /** Replaces one linear by a dense or packed weight (same shape required). */
    public void setWeight(LayerKind kind, LinearWeight m) {
        LinearWeight old = linears.get(kind);
        if (old.rows() != m.rows() || old.cols() != m.cols()) {
            throw new IllegalArgumentException(kind.shortName() + ": shape " + m.shape() + " does not match " + old.shape());
        }
        linears.put(kind, m);
    }

    /** Deep copy of dense matrices; packed weights are immutable and shared. */
    public BlockWeights copy() {
        EnumMap<LayerKind, LinearWeight> m = new EnumMap<>(LayerKind.class);
        linears.forEach((k, v) -> m.put(k, v instanceof Matrix d ? d.copy() : v));
        EnumMap<LayerKind, float[]> b = new EnumMap<>(LayerKind.class);
        biases.forEach((k, v) -> b.put(k, v.clone()));
        return new BlockWeights(attNorm.clone(), ffnNorm.clone(), m, b, index);
    }
}
