package dev.mixprune.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reductions and exp on vectors whose results do not depend on the JIT. Every kernel that sums the
 * lanes of a float or double vector, or takes exp of one, goes through here.
 *
 * <p>Why: {@code reduceLanes(VectorOperators.ADD)} on floating-point lanes may add "in any order"
 * (its javadoc), and HotSpot does: the interpreter and C1 add the lanes sequentially, the C2
 * intrinsic as a tree. Likewise {@code lanewise(VectorOperators.EXP)} is Math.exp per lane until C2
 * replaces it by the SVML routine, which differs in the last bit for some inputs. Since when C2
 * compiles a method depends on timing, the same run gave different bits from one process to the
 * next (issue 13 F10: two identical SparseGPT prunes differed in 57,913 bytes). Lane-wise add,
 * rearrange and fma are exactly specified, so the versions here, built from those alone, give the
 * same bits interpreted and compiled, every run.
 *
 * <p>Only loaded when the Vector API module is present (callers keep it in their vector classes).
 */
public final class LaneMath {
    private LaneMath() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorShuffle<Float>[] F_STEPS = halvingShuffles(F);
    private static final VectorShuffle<Double>[] D_STEPS = halvingShuffles(D);

    /** Shuffles i -> i + h (mod L) for h = L/2, L/4, ..., 1. */
    @SuppressWarnings("unchecked")
    private static <E> VectorShuffle<E>[] halvingShuffles(VectorSpecies<E> s) {
        int lanes = s.length();
        VectorShuffle<E>[] steps = new VectorShuffle[Integer.numberOfTrailingZeros(lanes)];
        int k = 0;
        for (int h = lanes / 2; h >= 1; h /= 2) {
            final int shift = h;
            steps[k++] = VectorShuffle.fromOp(s, i -> (i + shift) % lanes);
        }
        return steps;
    }

    /**
     * Sum of the lanes in a fixed pairwise order: lane i is added to lane i + L/2, then i + L/4, ...
     * (for L = 4: (v0 + v2) + (v1 + v3)). Costs about as much as {@code reduceLanes(ADD)}.
     */
    public static float sum(FloatVector v) {
        for (VectorShuffle<Float> s : F_STEPS) v = v.add(v.rearrange(s));
        return v.lane(0);
    }

    /** {@link #sum(FloatVector)} for doubles. */
    public static double sum(DoubleVector v) {
        for (VectorShuffle<Double> s : D_STEPS) v = v.add(v.rearrange(s));
        return v.lane(0);
    }

    /** The scalar twin of {@link #sum(FloatVector)}: the same additions in the same order (for tests). */
    static float sumInTreeOrder(float[] lanes) {
        float[] v = lanes.clone();
        for (int h = v.length / 2; h >= 1; h /= 2) {
            float[] next = new float[v.length];
            for (int i = 0; i < v.length; i++) next[i] = v[i] + v[(i + h) % v.length];
            v = next;
        }
        return v[0];
    }

    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split so that n * LN2_HI is exact for |n| < 2^9 (Cody-Waite). */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer, held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    /** exp(x) overflows above this and is below the smallest normal float under {@link #EXP_MIN}. */
    private static final float EXP_MAX = 88.72283f;
    private static final float EXP_MIN = -87.33654f;

    /**
     * e^x per lane, from exactly specified lane-wise operations only: x = n ln2 + r with |r| <= ln2/2,
     * e^r by its Taylor polynomial of degree 7 (truncation error below 3e-9 relative, so the result
     * is within about 1 ulp of Math.exp), times 2^n built from the exponent bits. Above 88.72 the
     * result is +Inf, below -87.34 (where e^x is subnormal) it is 0; NaN stays NaN.
     */
    public static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_MIN).min(EXP_MAX);
        FloatVector t = xc.fma(LOG2E, ROUNDER);                   // ROUNDER + round(x log2 e)
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(1f / 5040f, 1f / 720f);
        p = p.fma(r, FloatVector.broadcast(F, 1f / 120f));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 24f));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 6f));
        p = p.fma(r, FloatVector.broadcast(F, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        // 2^n: n (an integer in [-126, 128]) sits in t's low mantissa bits, offset by ROUNDER's.
        IntVector bits = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUNDER)).add(127).lanewise(VectorOperators.LSHL, 23);
        // n = 128 (x just below EXP_MAX) would make an Inf scale: use 2^127 * (2 p) instead.
        var big = n.compare(VectorOperators.GE, 128f);
        bits = bits.blend(IntVector.broadcast(bits.species(), 254 << 23), big.cast(bits.species()));
        p = p.blend(p.add(p), big);
        FloatVector result = p.mul(bits.reinterpretAsFloats());
        result = result.blend(0f, x.compare(VectorOperators.LT, EXP_MIN));
        result = result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_MAX));
        return result.blend(x, x.test(VectorOperators.IS_NAN));
    }
}
