package dev.mixprune.model;

import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;

import java.util.EnumMap;
import java.util.Map;

/**
 * The weights of one decoder block: two RMSNorm gains and seven linear layers ([out][in]).
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
    /** Only for messages ("blk.3.wq is packed"); -1 when the block does not know its index. */
    private final int index;

    public BlockWeights(float[] attNorm, float[] ffnNorm, Map<LayerKind, ? extends LinearWeight> linears) {
        this(attNorm, ffnNorm, linears, -1);
    }

    public BlockWeights(float[] attNorm, float[] ffnNorm, Map<LayerKind, ? extends LinearWeight> linears, int index) {
        this.attNorm = attNorm;
        this.ffnNorm = ffnNorm;
        this.linears = new EnumMap<>(LayerKind.class);
        this.linears.putAll(linears);
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
        }
    }

    public float[] attNorm() { return attNorm; }
    public float[] ffnNorm() { return ffnNorm; }

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
        return new BlockWeights(attNorm.clone(), ffnNorm.clone(), m, index);
    }
}
