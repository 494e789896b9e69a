package dev.mixprune.model;

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
        scores = new float[seqLen];
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

    /** Output of the query at q[qOff..qOff+hs) at position t into out[outOff..outOff+hs). */
    void attend(float[] q, int qOff, int t, float[] out, int outOff) {
        int n = t + 1;
        float scale = (float) (1.0 / Math.sqrt(hs));
        int upper = S.loopBound(n);

        // scores[0..n) = (q · K[0..n)) * scale, accumulated one head dimension at a time.
        java.util.Arrays.fill(scores, 0, n, 0f);
        for (int i = 0; i < hs; i++) {
            float qi = q[qOff + i];
            int ko = i * seqLen;
            FloatVector vq = FloatVector.broadcast(S, qi);
            int j = 0;
            for (; j < upper; j += S.length()) {
                FloatVector kv = FloatVector.fromArray(S, kt, ko + j);
                kv.fma(vq, FloatVector.fromArray(S, scores, j)).intoArray(scores, j);
            }
            for (; j < n; j++) scores[j] += qi * kt[ko + j];
        }

        // Softmax with the max subtracted; the sum is kept in float like the reference.
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j < upper; j += S.length()) vmax = vmax.max(FloatVector.fromArray(S, scores, j));
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) max = Math.max(max, scores[j]);
        max *= scale;
        FloatVector vs = FloatVector.broadcast(S, scale), vm = FloatVector.broadcast(S, max);
        FloatVector vsum = FloatVector.zero(S);
        j = 0;
        for (; j < upper; j += S.length()) {
            FloatVector e = FloatVector.fromArray(S, scores, j).fma(vs, vm.neg()).lanewise(VectorOperators.EXP);
            e.intoArray(scores, j);
            vsum = vsum.add(e);
        }
        float sum = vsum.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) {
            float e = (float) Math.exp(scores[j] * scale - max);
            scores[j] = e;
            sum += e;
        }
        float inv = 1f / sum;

        // out[i] = Σ_j p_j V[j][i].
        for (int i = 0; i < hs; i++) {
            int vo = i * seqLen;
            FloatVector acc = FloatVector.zero(S);
            int m = 0;
            for (; m < upper; m += S.length()) acc = FloatVector.fromArray(S, scores, m).fma(FloatVector.fromArray(S, vt, vo + m), acc);
            float s = acc.reduceLanes(VectorOperators.ADD);
            for (; m < n; m++) s += scores[m] * vt[vo + m];
            out[outOff + i] = s * inv;
        }
    }
}
