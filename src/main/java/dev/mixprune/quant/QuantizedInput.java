package dev.mixprune.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * An input vector quantized to int8 in blocks of 32 columns, the way llama.cpp quantizes the
 * activations of its Q8_0 / Q4_0 dot products: per block a float scale d = amax / 127 and
 * q = round-half-away-from-zero(x * (1 / d)) in [-127, 127] (all zeros when the block is zero). The
 * quants are kept widened to 16 bits (the integer GEMV multiplies them as shorts), the array
 * padded with zeros to whole blocks plus {@code pad} columns so that vector loads past the end stay
 * inside it. Value of column c: {@code q[c] * scale[c / 32]}.
 */
public record QuantizedInput(int cols, short[] q, float[] scale) {
    static final int BLOCK = 32;

    public static QuantizedInput of(float[] x, int cols, int pad) {
        int blocks = (cols + BLOCK - 1) / BLOCK, whole = cols / BLOCK;
        short[] q = new short[blocks * BLOCK + pad];
        float[] scale = new float[blocks];
        for (int b = 0; b < whole; b++) scale[b] = Vectorized.block(x, b * BLOCK, q);
        for (int b = whole; b < blocks; b++) {
            int c0 = b * BLOCK, c1 = cols;
            float amax = 0f;
            for (int c = c0; c < c1; c++) amax = Math.max(amax, Math.abs(x[c]));
            float d = amax / 127f, id = d != 0f ? 1f / d : 0f;
            scale[b] = d;
            for (int c = c0; c < c1; c++) q[c] = (short) GgmlBlocks.roundHalfAway(x[c] * id);
        }
        return new QuantizedInput(cols, q, scale);
    }

    /**
     * One whole block with vectors (the decode path quantizes every input, 1-2 % of a token when
     * scalar): the same rule, rounding half away from zero done exactly as t = trunc(v) plus
     * sign(v) where |v - t| >= 0.5 (v - t is exact in float for |v| < 2^23).
     */
    private static final class Vectorized {
        static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
        static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
        static final int L = F.length();

        static float block(float[] x, int c0, short[] q) {
            FloatVector m = FloatVector.zero(F);
            for (int c = c0; c < c0 + BLOCK; c += L) m = m.max(FloatVector.fromArray(F, x, c).abs());
            float amax = m.reduceLanes(VectorOperators.MAX);
            float d = amax / 127f, id = d != 0f ? 1f / d : 0f;
            for (int c = c0; c < c0 + BLOCK; c += L) {
                FloatVector v = FloatVector.fromArray(F, x, c).mul(id);
                IntVector t = (IntVector) v.convert(VectorOperators.F2I, 0);
                FloatVector frac = v.sub((FloatVector) t.convert(VectorOperators.I2F, 0));
                IntVector away = IntVector.zero(t.species()).blend(1, v.compare(VectorOperators.GT, 0f).cast(t.species()))
                        .blend(-1, v.compare(VectorOperators.LT, 0f).cast(t.species()));
                IntVector r = t.add(away, frac.abs().compare(VectorOperators.GE, 0.5f).cast(t.species()));
                ((ShortVector) r.convertShape(VectorOperators.I2S, S, 0)).intoArray(q, c);
            }
            return d;
        }
    }

    /** The dequantized input q * scale (what the integer kernel multiplies with, in float). */
    public float[] dequantized() {
        float[] out = new float[cols];
        for (int c = 0; c < cols; c++) out[c] = q[c] * scale[c / BLOCK];
        return out;
    }
}
