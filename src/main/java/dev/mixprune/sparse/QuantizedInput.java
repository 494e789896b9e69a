package dev.mixprune.sparse;

import dev.mixprune.quant.GgmlBlocks;

/**
 * An input vector quantized to int8 in blocks of 32 columns, the way llama.cpp quantizes the
 * activations of its Q8_0 / Q4_0 dot products: per block a float scale d = amax / 127 and
 * q = round-half-away-from-zero(x / d) in [-127, 127] (all zeros when the block is zero). The
 * quants are kept widened to 16 bits (the integer GEMV multiplies them as shorts), the array
 * padded with zeros to whole blocks plus {@code pad} columns so that vector loads past the end stay
 * inside it. Value of column c: {@code q[c] * scale[c / 32]}.
 */
record QuantizedInput(int cols, short[] q, float[] scale) {
    static final int BLOCK = 32;

    static QuantizedInput of(float[] x, int cols, int pad) {
        int blocks = (cols + BLOCK - 1) / BLOCK;
        short[] q = new short[blocks * BLOCK + pad];
        float[] scale = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            int c0 = b * BLOCK, c1 = Math.min(cols, c0 + BLOCK);
            float amax = 0f;
            for (int c = c0; c < c1; c++) amax = Math.max(amax, Math.abs(x[c]));
            float d = amax / 127f, id = d != 0f ? 1f / d : 0f;
            scale[b] = d;
            for (int c = c0; c < c1; c++) q[c] = (short) GgmlBlocks.roundHalfAway(x[c] * id);
        }
        return new QuantizedInput(cols, q, scale);
    }

    /** The dequantized input q * scale (what the integer kernel multiplies with, in float). */
    float[] dequantized() {
        float[] out = new float[cols];
        for (int c = 0; c < cols; c++) out[c] = q[c] * scale[c / BLOCK];
        return out;
    }
}
