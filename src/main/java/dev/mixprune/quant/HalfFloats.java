package dev.mixprune.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * F16 -> float for a run of scales, a vector at a time. The integer GEMV used to convert each
 * block's F16 weight scale on its own ({@code Float.float16ToFloat}: a scalar load, a move into a
 * vector register, a conversion and a broadcast per block, three of the loop's ~18 vector
 * operations); converting a row's scales once beforehand leaves one broadcast load per block. The
 * Vector API has no F16 conversion, so this does it with bits: magnitude shifted into float
 * position times 2^112 (exact for normal and subnormal F16, whose exponent bias is 15 against 127),
 * the sign ORed back, infinities and NaNs (exponent 31) given float's exponent 255 directly (NaNs
 * made quiet, as Float.float16ToFloat does). Equal to {@link Float#float16ToFloat} bit for bit for
 * all 65,536 inputs (HalfFloatsTest).
 */
public final class HalfFloats {
    private HalfFloats() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int L = F.length();

    /** out[o + i] = Float.float16ToFloat(h[from + i]) for 0 <= i < n. */
    public static void toFloat(short[] h, int from, int n, float[] out, int o) {
        int i = 0;
        for (; i + L <= n; i += L) {
            IntVector v = (IntVector) ShortVector.fromArray(S, h, from + i).convertShape(VectorOperators.S2I, I, 0);
            IntVector magnitude = v.and(0x7fff);
            IntVector sign = v.and(0x8000).lanewise(VectorOperators.LSHL, 16);
            IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13); // exponent and mantissa in float position
            IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
            // Exponent 31: infinity, or a NaN, which Float.float16ToFloat (like vcvtph2ps) makes quiet.
            IntVector special = shifted.or(0x7f800000).blend(0x7fc00000, magnitude.compare(VectorOperators.GT, 0x7c00)).or(shifted);
            IntVector bits = finite.blend(special, magnitude.compare(VectorOperators.GE, 0x7c00)).or(sign);
            bits.reinterpretAsFloats().intoArray(out, o + i);
        }
        for (; i < n; i++) out[o + i] = Float.float16ToFloat(h[from + i]);
    }
}
