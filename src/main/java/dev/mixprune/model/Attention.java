package dev.mixprune.model;

import dev.mixprune.tensor.LaneMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal attention of one sequence and one kv head (and the query heads that share it), vectorised
 * along the time axis: keys and values are transposed to [hs][T] once, so both q·K and p·V become
 * long contiguous loops over past positions whatever the head size. {@link LayerOps#attendOne} is
 * the scalar reference it is tested against.
 */
final class Attention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final int hs;
    private final int seqLen;
    private final float[] kt; // [hs][seqLen]
    private final float[] vt; // [hs][seqLen]
    private final float[] scores;

    Attention(int hs, int seqLen) {
        this.hs = hs;
        this.seqLen = seqLen;
        kt = new float[hs * seqLen];
        vt = new float[hs * seqLen];
        scores = new float[4 * seqLen];
    }

    /**
     * Loads kv head {@code kvOff / hs} of the sequence whose rows start at {@code base} from k and v
     * ([rows][kvDim], RoPE already applied to k).
     */
    void load(float[] k, float[] v, int base, int kvDim, int kvOff) {
        for (int t = 0; t < seqLen; t++) {
            int row = (base + t) * kvDim + kvOff;
            for (int i = 0; i < hs; i++) {
                kt[i * seqLen + t] = k[row + i];
                vt[i * seqLen + t] = v[row + i];
            }
        }
    }

    /**
     * Outputs of the queries of one head at positions t0..t0+3 (rows qOff0 + b*stride of q) into the
     * same offsets of out. Four queries share every key and value load, and the scores of a key
     * chunk stay in registers across the head dimension.
     */
    void attend4(float[] q, int qOff0, int stride, int t0, float[] out) {
        int nMax = t0 + 4;
        int L = S.length();
        int upper = S.loopBound(nMax);
        int o1 = qOff0 + stride, o2 = o1 + stride, o3 = o2 + stride;
        for (int j = 0; j < upper; j += L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < hs; i++) {
                FloatVector kv = FloatVector.fromArray(S, kt, i * seqLen + j);
                a0 = kv.fma(FloatVector.broadcast(S, q[qOff0 + i]), a0);
                a1 = kv.fma(FloatVector.broadcast(S, q[o1 + i]), a1);
                a2 = kv.fma(FloatVector.broadcast(S, q[o2 + i]), a2);
                a3 = kv.fma(FloatVector.broadcast(S, q[o3 + i]), a3);
            }
            a0.intoArray(scores, j);
            a1.intoArray(scores, seqLen + j);
            a2.intoArray(scores, 2 * seqLen + j);
            a3.intoArray(scores, 3 * seqLen + j);
        }
        for (int j = upper; j < nMax; j++) {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int i = 0; i < hs; i++) {
                float k = kt[i * seqLen + j];
                s0 += q[qOff0 + i] * k;
                s1 += q[o1 + i] * k;
                s2 += q[o2 + i] * k;
                s3 += q[o3 + i] * k;
            }
            scores[j] = s0;
            scores[seqLen + j] = s1;
            scores[2 * seqLen + j] = s2;
            scores[3 * seqLen + j] = s3;
        }
        // Row b may look at keys 0..t0+b; later keys get probability 0 so p·V can run to nMax for all rows.
        float[] inv = new float[4];
        for (int b = 0; b < 4; b++) {
            int n = t0 + b + 1;
            inv[b] = expScores(b * seqLen, n);
            java.util.Arrays.fill(scores, b * seqLen + n, b * seqLen + nMax, 0f);
        }
        for (int i = 0; i < hs; i++) {
            int vo = i * seqLen;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            int j = 0;
            for (; j < upper; j += L) {
                FloatVector vv = FloatVector.fromArray(S, vt, vo + j);
                a0 = FloatVector.fromArray(S, scores, j).fma(vv, a0);
                a1 = FloatVector.fromArray(S, scores, seqLen + j).fma(vv, a1);
                a2 = FloatVector.fromArray(S, scores, 2 * seqLen + j).fma(vv, a2);
                a3 = FloatVector.fromArray(S, scores, 3 * seqLen + j).fma(vv, a3);
            }
            float s0 = LaneMath.sum(a0), s1 = LaneMath.sum(a1);
            float s2 = LaneMath.sum(a2), s3 = LaneMath.sum(a3);
            for (; j < nMax; j++) {
                float v = vt[vo + j];
                s0 += scores[j] * v;
                s1 += scores[seqLen + j] * v;
                s2 += scores[2 * seqLen + j] * v;
                s3 += scores[3 * seqLen + j] * v;
            }
            out[qOff0 + i] = s0 * inv[0];
            out[o1 + i] = s1 * inv[1];
            out[o2 + i] = s2 * inv[2];
            out[o3 + i] = s3 * inv[3];
        }
    }

    /** Output of the query at q[qOff..qOff+hs) at position t into out[outOff..outOff+hs). */
    void attend(float[] q, int qOff, int t, float[] out, int outOff) {
        int n = t + 1;
        int L = S.length();
        int upper = S.loopBound(n);
        for (int j = 0; j < upper; j += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int i = 0; i < hs; i++) acc = FloatVector.fromArray(S, kt, i * seqLen + j).fma(FloatVector.broadcast(S, q[qOff + i]), acc);
            acc.intoArray(scores, j);
        }
        for (int j = upper; j < n; j++) {
            float s = 0;
            for (int i = 0; i < hs; i++) s += q[qOff + i] * kt[i * seqLen + j];
            scores[j] = s;
        }
        float inv = expScores(0, n);
        for (int i = 0; i < hs; i++) {
            int vo = i * seqLen;
            FloatVector acc = FloatVector.zero(S);
            int m = 0;
            for (; m < upper; m += L) acc = FloatVector.fromArray(S, scores, m).fma(FloatVector.fromArray(S, vt, vo + m), acc);
            float s = LaneMath.sum(acc);
            for (; m < n; m++) s += scores[m] * vt[vo + m];
            out[outOff + i] = s * inv;
        }
    }

    /**
     * scores[off..off+n) holds raw q·k; replaces them by exp(scale*(s - max)) and returns
     * 1 / their sum (softmax with the max subtracted, in float like the reference).
     */
    private float expScores(int off, int n) {
        float scale = (float) (1.0 / Math.sqrt(hs));
        int upper = S.loopBound(n);
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j < upper; j += S.length()) vmax = vmax.max(FloatVector.fromArray(S, scores, off + j));
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) max = Math.max(max, scores[off + j]);
        max *= scale;
        FloatVector vs = FloatVector.broadcast(S, scale), vm = FloatVector.broadcast(S, -max);
        FloatVector vsum = FloatVector.zero(S);
        j = 0;
        for (; j < upper; j += S.length()) {
            FloatVector e = LaneMath.exp(FloatVector.fromArray(S, scores, off + j).fma(vs, vm));
            e.intoArray(scores, off + j);
            vsum = vsum.add(e);
        }
        float sum = LaneMath.sum(vsum);
        for (; j < n; j++) {
            float e = (float) Math.exp(scores[off + j] * scale - max);
            scores[off + j] = e;
            sum += e;
        }
        return 1f / sum;
    }
}
