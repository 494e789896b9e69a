package dev.mixprune.grad;

import dev.mixprune.model.LlamaConfig;
import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

import java.util.Arrays;

/**
 * Causal GQA attention of a batch of sequences in float32, forward and backward, as small GEMMs
 * per (sequence, query head): S = scale·Q Kᵀ, P = causal softmax(S), O = P V; backward
 * dV += Pᵀ dO, dP = dO Vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale, dQ = dS K, dK += dSᵀ Q
 * (algorithms.md 10.2 in matrix form). One task per (sequence, kv head) runs the query heads that
 * share it in order, so a kv head's gradients are summed by one thread in a fixed order (no races,
 * same result for any thread count). The masked upper triangle is computed and zeroed (twice the
 * causal flops, but on the fast GEMM instead of one dot product per key).
 *
 * <p>The backward recomputes P from q and k with the forward's own code (bit-identical), so the
 * tape keeps no T x T probabilities; a task holds two T x T float matrices while it runs.
 */
final class AttentionGrad {
    private AttentionGrad() {}

    /** One task's buffers: head slices [T][hs], K and V transposed [hs][T], and the T x T scores. */
    private static final class Work {
        final int T, hs;
        final Matrix qh, kg, kgT, vg, vgT, oh, dOh, dQh, dKg, dVg, s, dP;

        Work(int T, int hs, boolean backward) {
            this.T = T;
            this.hs = hs;
            qh = new Matrix(T, hs);
            kg = new Matrix(T, hs);
            kgT = new Matrix(hs, T);
            vg = new Matrix(T, hs);
            vgT = backward ? new Matrix(hs, T) : null;
            oh = new Matrix(T, hs);
            s = new Matrix(T, T);
            dOh = backward ? new Matrix(T, hs) : null;
            dQh = backward ? new Matrix(T, hs) : null;
            dKg = backward ? new Matrix(T, hs) : null;
            dVg = backward ? new Matrix(T, hs) : null;
            dP = backward ? new Matrix(T, T) : null;
        }
    }

    /** Copies columns [col, col+hs) of rows [base, base+T) of src (row width stride) into dst [T][hs]. */
    private static void gather(float[] src, int base, int stride, int col, Matrix dst) {
        int hs = dst.cols();
        for (int t = 0; t < dst.rows(); t++) System.arraycopy(src, (base + t) * stride + col, dst.data(), t * hs, hs);
    }

    /** The transpose of a [T][hs] slice into [hs][T]. */
    private static void transpose(Matrix src, Matrix dst) {
        int rows = src.rows(), cols = src.cols();
        float[] a = src.data(), b = dst.data();
        for (int t = 0; t < rows; t++) for (int i = 0; i < cols; i++) b[i * rows + t] = a[t * cols + i];
    }

    private static void scatter(Matrix src, float[] dst, int base, int stride, int col) {
        int hs = src.cols();
        for (int t = 0; t < src.rows(); t++) System.arraycopy(src.data(), t * hs, dst, (base + t) * stride + col, hs);
    }

    /**
     * P = causal softmax(scale · Q Kᵀ) of one head into w.s (rows t: keys 0..t, zeros after). The
     * product is taken as Q · (Kᵀ) with NN: the NT layout sends few-row products (T < 32) to a
     * kernel whose lane reduction differs between JIT tiers.
     */
    private static void probabilities(Work w, float scale, ThreadTeam team) {
        Gemm.nn(w.qh, w.kgT, w.s, false, team);
        float[] s = w.s.data();
        int T = w.T;
        for (int t = 0; t < T; t++) {
            int o = t * T;
            softmaxRow(s, o, t + 1, scale);
            Arrays.fill(s, o + t + 1, o + T, 0f);
        }
    }

    /**
     * s[o..o+n) = softmax(scale · s), max subtracted; scalar {@code Math.exp} and a sequential sum
     * (the Vector API's EXP and lane reductions give other bits in interpreted than in compiled code).
     */
    private static void softmaxRow(float[] s, int o, int n, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, s[o + i]);
        float m = max * scale;
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(s[o + i] * scale - m);
            s[o + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int j = 0; j < n; j++) s[o + j] *= inv;
    }

    /** Runs body(task, work) for every (sequence, kv head) task, one Work per thread. */
    private interface TaskBody {
        void run(int task, Work w);
    }

    private static void forTasks(int tasks, int T, int hs, boolean backward, ThreadTeam team, TaskBody body) {
        team.forChunks(0, tasks, Math.min(tasks, team.size()), (lo, hi) -> {
            Work w = new Work(T, hs, backward);
            for (int task = lo; task < hi; task++) body.run(task, w);
        });
    }

    /** out [rows][Q] = attention(q, k, v) for nSeq sequences of T tokens (q, k after RoPE). */
    static void forward(LlamaConfig c, float[] q, float[] k, float[] v, float[] out, int nSeq, int T, ThreadTeam team) {
        int hs = c.headSize(), nKv = c.nKvHeads(), rep = c.kvRepeat(), D = c.qDim(), KV = c.kvDim();
        float scale = (float) (1.0 / Math.sqrt(hs));
        forTasks(nSeq * nKv, T, hs, false, team, (task, w) -> {
            int base = (task / nKv) * T, g = task % nKv;
            gather(k, base, KV, g * hs, w.kg);
            transpose(w.kg, w.kgT);
            gather(v, base, KV, g * hs, w.vg);
            for (int hq = g * rep; hq < (g + 1) * rep; hq++) {
                gather(q, base, D, hq * hs, w.qh);
                probabilities(w, scale, team);
                Gemm.nn(w.s, w.vg, w.oh, false, team);
                scatter(w.oh, out, base, D, hq * hs);
            }
        });
    }

    /**
     * Given dO = dL/d(attention output) [rows][Q], writes (overwrites) dQ [rows][Q] and dK, dV
     * [rows][KV]: gradients with respect to q and k AFTER RoPE, and v.
     */
    static void backward(LlamaConfig c, float[] q, float[] k, float[] v, float[] dO, float[] dQ, float[] dK, float[] dV,
                         int nSeq, int T, ThreadTeam team) {
        int hs = c.headSize(), nKv = c.nKvHeads(), rep = c.kvRepeat(), D = c.qDim(), KV = c.kvDim();
        float scale = (float) (1.0 / Math.sqrt(hs));
        forTasks(nSeq * nKv, T, hs, true, team, (task, w) -> {
            int base = (task / nKv) * T, g = task % nKv;
            gather(k, base, KV, g * hs, w.kg);
            transpose(w.kg, w.kgT);
            gather(v, base, KV, g * hs, w.vg);
            transpose(w.vg, w.vgT);
            for (int hq = g * rep; hq < (g + 1) * rep; hq++) {
                boolean first = hq == g * rep;
                gather(q, base, D, hq * hs, w.qh);
                gather(dO, base, D, hq * hs, w.dOh);
                probabilities(w, scale, team);                  // P, as in the forward
                Gemm.tn(w.s, w.dOh, w.dVg, !first, team);       // dV += Pᵀ dO
                Gemm.nn(w.dOh, w.vgT, w.dP, false, team);       // dP = dO Vᵀ
                softmaxBackward(w.s.data(), w.dP.data(), T, scale);
                Gemm.nn(w.dP, w.kg, w.dQh, false, team);        // dQ = dS K
                Gemm.tn(w.dP, w.qh, w.dKg, !first, team);       // dK += dSᵀ Q
                scatter(w.dQh, dQ, base, D, hq * hs);
            }
            scatter(w.dKg, dK, base, KV, g * hs);
            scatter(w.dVg, dV, base, KV, g * hs);
        });
    }

    /** dP is replaced by dS = scale · P ⊙ (dP − Σ_j P dP) row by row (zero above the diagonal, as P). */
    private static void softmaxBackward(float[] p, float[] dp, int T, float scale) {
        for (int t = 0; t < T; t++) {
            int o = t * T, n = t + 1;
            double acc = 0;
            for (int j = 0; j < n; j++) acc += (double) p[o + j] * dp[o + j];
            float sum = (float) acc;
            for (int j = 0; j < n; j++) dp[o + j] = p[o + j] * (dp[o + j] - sum) * scale;
            Arrays.fill(dp, o + n, o + T, 0f);
        }
    }
}
