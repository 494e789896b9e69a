package dev.mixprune.model;

/**
 * Keys (after RoPE) and values of every past position of one sequence, per layer:
 * layer l, position p occupies [p*kvDim, (p+1)*kvDim) of keys(l) / values(l).
 */
public final class KvCache {
    private final int kvDim;
    private final int capacity;
    private final float[][] keys;
    private final float[][] values;

    public KvCache(LlamaConfig c, int capacity) {
        if (capacity <= 0) throw new IllegalArgumentException("kv cache capacity must be > 0, got " + capacity);
        this.kvDim = c.kvDim();
        this.capacity = capacity;
        long floats = 2L * c.nLayers() * capacity * kvDim;
        if ((long) capacity * kvDim > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("kv cache of " + capacity + " positions x " + kvDim + " is too large (" + floats + " floats)");
        }
        keys = new float[c.nLayers()][capacity * kvDim];
        values = new float[c.nLayers()][capacity * kvDim];
    }

    public int capacity() { return capacity; }
    public int kvDim() { return kvDim; }
    float[] keys(int layer) { return keys[layer]; }
    float[] values(int layer) { return values[layer]; }

    /** Positions [0, rows) of one layer from [rows][kvDim] matrices (the batched prefill). */
    void storePrefix(int layer, float[] k, float[] v, int rows) {
        if (rows > capacity) throw new IllegalArgumentException(rows + " positions exceed the kv cache of " + capacity);
        System.arraycopy(k, 0, keys[layer], 0, rows * kvDim);
        System.arraycopy(v, 0, values[layer], 0, rows * kvDim);
    }

    void store(int layer, int pos, float[] k, float[] v) {
        if (pos < 0 || pos >= capacity) throw new IllegalArgumentException("position " + pos + " outside kv cache of " + capacity);
        System.arraycopy(k, 0, keys[layer], pos * kvDim, kvDim);
        System.arraycopy(v, 0, values[layer], pos * kvDim, kvDim);
    }
}
