package dev.mixprune.model;

import dev.mixprune.tensor.Matrix;

import java.util.EnumMap;
import java.util.Map;

/** The weights of one decoder block: two RMSNorm gains and seven linear layers ([out][in]). */
public final class BlockWeights {
    private final float[] attNorm;
    private final float[] ffnNorm;
    private final EnumMap<LayerKind, Matrix> linears;

    public BlockWeights(float[] attNorm, float[] ffnNorm, Map<LayerKind, Matrix> linears) {
        this.attNorm = attNorm;
        this.ffnNorm = ffnNorm;
        this.linears = new EnumMap<>(linears);
        for (LayerKind k : LayerKind.values()) {
            if (!this.linears.containsKey(k)) throw new IllegalArgumentException("block is missing linear " + k.shortName());
        }
    }

    /** Checks every shape against the config; the message names the offending tensor. */
    public void validate(LlamaConfig c, int blockIndex) {
        if (attNorm.length != c.dim()) throw new IllegalArgumentException("blk." + blockIndex + ".attention_norm has " + attNorm.length + " values, expected " + c.dim());
        if (ffnNorm.length != c.dim()) throw new IllegalArgumentException("blk." + blockIndex + ".ffn_norm has " + ffnNorm.length + " values, expected " + c.dim());
        for (LayerKind k : LayerKind.values()) {
            Matrix m = linears.get(k);
            if (m.rows() != c.rowsOf(k) || m.cols() != c.colsOf(k)) {
                throw new IllegalArgumentException("blk." + blockIndex + "." + k.shortName() + " has shape " + m.shape()
                        + ", expected " + c.rowsOf(k) + "x" + c.colsOf(k));
            }
        }
    }

    public float[] attNorm() { return attNorm; }
    public float[] ffnNorm() { return ffnNorm; }
    public Matrix linear(LayerKind kind) { return linears.get(kind); }
    public Matrix wq() { return linears.get(LayerKind.WQ); }
    public Matrix wk() { return linears.get(LayerKind.WK); }
    public Matrix wv() { return linears.get(LayerKind.WV); }
    public Matrix wo() { return linears.get(LayerKind.WO); }
    public Matrix w1() { return linears.get(LayerKind.W1); }
    public Matrix w2() { return linears.get(LayerKind.W2); }
    public Matrix w3() { return linears.get(LayerKind.W3); }

    /** Replaces one linear (same shape required). */
    public void setLinear(LayerKind kind, Matrix m) {
        Matrix old = linears.get(kind);
        if (old.rows() != m.rows() || old.cols() != m.cols()) {
            throw new IllegalArgumentException(kind.shortName() + ": shape " + m.shape() + " does not match " + old.shape());
        }
        linears.put(kind, m);
    }

    /** Deep copy. */
    public BlockWeights copy() {
        EnumMap<LayerKind, Matrix> m = new EnumMap<>(LayerKind.class);
        linears.forEach((k, v) -> m.put(k, v.copy()));
        return new BlockWeights(attNorm.clone(), ffnNorm.clone(), m);
    }
}
