package dev.mixprune.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorized element-wise kernels of the forward pass. Every method has a plain scalar twin in
 * {@link VectorOpsReference}; the tests compare them. Reductions accumulate per lane in float
 * (like llama2.c's run.c), so results differ from double-precision references by float rounding.
 *
 * <p>Without the Vector API module (see {@link KernelInfo}) the scalar reference runs; all Vector
 * API types stay inside the nested class {@code V}, so this class loads either way.
 */
public final class VectorOps {
    private VectorOps() {}

    private static final boolean VECTOR = KernelInfo.vectorAvailable();

    /** sum_i a[ao+i] * b[bo+i] for i in [0, len). */
    public static float dot(float[] a, int ao, float[] b, int bo, int len) {
        return VECTOR ? V.dot(a, ao, b, bo, len) : VectorOpsReference.dot(a, ao, b, bo, len);
    }

    public static float dot(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("dot lengths " + a.length + " != " + b.length);
        return dot(a, 0, b, 0, a.length);
    }

    /** y[yo+i] += alpha * x[xo+i]. */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int len) {
        if (VECTOR) V.axpy(alpha, x, xo, y, yo, len);
        else VectorOpsReference.axpy(alpha, x, xo, y, yo, len);
    }

    /** a[off+i] *= s. */
    public static void scale(float[] a, int off, int len, float s) {
        if (VECTOR) V.scale(a, off, len, s);
        else VectorOpsReference.scale(a, off, len, s);
    }

    /** out = gain ⊙ x / sqrt(mean(x²) + eps) over the whole arrays (all of length gain.length). */
    public static void rmsnorm(float[] out, float[] x, float[] gain, float eps) {
        rmsnorm(out, 0, x, 0, gain, gain.length, eps);
    }

    /** out[oo..oo+len) = gain[0..len) ⊙ x[xo..xo+len) / sqrt(mean(x²) + eps); out may be x. */
    public static void rmsnorm(float[] out, int oo, float[] x, int xo, float[] gain, int len, float eps) {
        if (VECTOR) V.rmsnorm(out, oo, x, xo, gain, len, eps);
        else VectorOpsReference.rmsnorm(out, oo, x, xo, gain, len, eps);
    }

    /** Numerically stable softmax of a[off..off+len) in place (max subtracted first). */
    public static void softmaxInPlace(float[] a, int off, int len) {
        if (VECTOR) V.softmaxInPlace(a, off, len);
        else VectorOpsReference.softmaxInPlace(a, off, len);
    }

    /** silu(x) = x / (1 + e^-x) = x * sigmoid(x). */
    public static float silu(float x) { return (float) (x / (1.0 + Math.exp(-x))); }

    /** a[off+i] = silu(a[off+i]). */
    public static void siluInPlace(float[] a, int off, int len) {
        if (VECTOR) V.siluMul(a, off, null, 0, len);
        else VectorOpsReference.siluInPlace(a, off, len);
    }

    /** SwiGLU gate: gate[go+i] = silu(gate[go+i]) * up[uo+i]. */
    public static void siluMul(float[] gate, int go, float[] up, int uo, int len) {
        if (VECTOR) V.siluMul(gate, go, up, uo, len);
        else VectorOpsReference.siluMul(gate, go, up, uo, len);
    }

    /** out[oo+i] = a[ao+i] * b[bo+i]; out may alias a or b. */
    public static void mul(float[] out, int oo, float[] a, int ao, float[] b, int bo, int len) {
        if (VECTOR) V.mul(out, oo, a, ao, b, bo, len);
        else VectorOpsReference.mul(out, oo, a, ao, b, bo, len);
    }

    /** out[oo+i] = a[ao+i] + b[bo+i]; out may alias a or b. */
    public static void add(float[] out, int oo, float[] a, int ao, float[] b, int bo, int len) {
        if (VECTOR) V.add(out, oo, a, ao, b, bo, len);
        else VectorOpsReference.add(out, oo, a, ao, b, bo, len);
    }

    /** Whole-array forms of {@link #mul} and {@link #add}. */
    public static void mul(float[] out, float[] a, float[] b) { mul(out, 0, a, 0, b, 0, sameLength(out, a, b)); }

    public static void add(float[] out, float[] a, float[] b) { add(out, 0, a, 0, b, 0, sameLength(out, a, b)); }

    private static int sameLength(float[] out, float[] a, float[] b) {
        if (a.length != b.length || out.length != a.length) {
            throw new IllegalArgumentException("element-wise lengths out=" + out.length + " a=" + a.length + " b=" + b.length);
        }
        return a.length;
    }

    /** The Vector-API bodies, isolated so that VectorOps loads without the module. */
    private static final class V {
        static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
        static final int L = S.length();

        static float dot(float[] a, int ao, float[] b, int bo, int len) {
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
            int i = 0;
            for (; i + 2 * L <= len; i += 2 * L) {
                s0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), s0);
                s1 = FloatVector.fromArray(S, a, ao + i + L).fma(FloatVector.fromArray(S, b, bo + i + L), s1);
            }
            if (i + L <= len) {
                s0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), s0);
                i += L;
            }
            float s = LaneMath.sum(s0.add(s1));
            for (; i < len; i++) s += a[ao + i] * b[bo + i];
            return s;
        }

        static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int len) {
            FloatVector av = FloatVector.broadcast(S, alpha);
            int i = 0;
            for (; i + L <= len; i += L) {
                FloatVector.fromArray(S, x, xo + i).fma(av, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
            }
            for (; i < len; i++) y[yo + i] += alpha * x[xo + i];
        }

        static void scale(float[] a, int off, int len, float s) {
            int i = 0;
            for (; i + L <= len; i += L) FloatVector.fromArray(S, a, off + i).mul(s).intoArray(a, off + i);
            for (; i < len; i++) a[off + i] *= s;
        }

        static void rmsnorm(float[] out, int oo, float[] x, int xo, float[] gain, int len, float eps) {
            if (gain.length < len) throw new IllegalArgumentException("rmsnorm gain length " + gain.length + " < " + len);
            float ss = dot(x, xo, x, xo, len);
            float inv = (float) (1.0 / Math.sqrt(ss / len + eps));
            int i = 0;
            for (; i + L <= len; i += L) {
                FloatVector.fromArray(S, x, xo + i).mul(inv).mul(FloatVector.fromArray(S, gain, i)).intoArray(out, oo + i);
            }
            for (; i < len; i++) out[oo + i] = gain[i] * (x[xo + i] * inv);
        }

        static void softmaxInPlace(float[] a, int off, int len) {
            if (len <= 0) return;
            int i = 0;
            FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i + L <= len; i += L) mv = mv.max(FloatVector.fromArray(S, a, off + i));
            float max = mv.reduceLanes(VectorOperators.MAX);
            for (; i < len; i++) max = Math.max(max, a[off + i]);
            FloatVector sv = FloatVector.zero(S);
            i = 0;
            for (; i + L <= len; i += L) {
                FloatVector e = LaneMath.exp(FloatVector.fromArray(S, a, off + i).sub(max));
                e.intoArray(a, off + i);
                sv = sv.add(e);
            }
            float sum = LaneMath.sum(sv);
            for (; i < len; i++) {
                float e = (float) Math.exp(a[off + i] - max);
                a[off + i] = e;
                sum += e;
            }
            scale(a, off, len, 1f / sum);
        }

        /** gate = silu(gate) (* up when up != null). */
        static void siluMul(float[] gate, int go, float[] up, int uo, int len) {
            int i = 0;
            for (; i + L <= len; i += L) {
                FloatVector g = FloatVector.fromArray(S, gate, go + i);
                FloatVector s = g.div(LaneMath.exp(g.neg()).add(1f));
                if (up != null) s = s.mul(FloatVector.fromArray(S, up, uo + i));
                s.intoArray(gate, go + i);
            }
            for (; i < len; i++) {
                float s = silu(gate[go + i]);
                gate[go + i] = up != null ? s * up[uo + i] : s;
            }
        }

        static void mul(float[] out, int oo, float[] a, int ao, float[] b, int bo, int len) {
            binary(VectorOperators.MUL, out, oo, a, ao, b, bo, len);
        }

        static void add(float[] out, int oo, float[] a, int ao, float[] b, int bo, int len) {
            binary(VectorOperators.ADD, out, oo, a, ao, b, bo, len);
        }

        static void binary(VectorOperators.Binary op, float[] out, int oo, float[] a, int ao, float[] b, int bo, int len) {
            int i = 0;
            for (; i + L <= len; i += L) {
                FloatVector.fromArray(S, a, ao + i).lanewise(op, FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            }
            boolean mul = op == VectorOperators.MUL;
            for (; i < len; i++) out[oo + i] = mul ? a[ao + i] * b[bo + i] : a[ao + i] + b[bo + i];
        }
    }
}
