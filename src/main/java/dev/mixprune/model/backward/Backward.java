package dev.mixprune.model.backward;

import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;

import java.util.Arrays;

import static dev.mixprune.model.backward.DoubleKernels.addDw;
import static dev.mixprune.model.backward.DoubleKernels.addDx;
import static dev.mixprune.model.backward.DoubleKernels.rmsNormBackward;

/**
 * Exact analytic backward of {@link TrainingForward} for one sequence, organised like llm.c
 * (algorithms.md 10.1/10.2): cross-entropy, classifier, final RMSNorm, then every block in
 * reverse (w2, SwiGLU, w1/w3, RMSNorm2, wo, causal GQA attention, inverse RoPE, wq/wk/wv,
 * RMSNorm1), then the embedding scatter-add. Parameter gradients ACCUMULATE (+=) into
 * {@code grad}; zero it first for the gradient of this sequence alone.
 */
public final class Backward {
    private Backward() {}

    /** Adds dL/dθ of the sequence recorded on {@code tape} (by {@link TrainingForward#forward}) to {@code grad}. */
    public static void backward(ParamSet p, int[] tokens, Tape tape, ParamSet grad) {
        LlamaConfig c = p.config();
        int T = tape.tokens;
        if (tokens.length != T) throw new IllegalArgumentException("tape holds a sequence of " + T + " tokens, got " + tokens.length);
        if (!grad.config().equals(c)) throw new IllegalArgumentException("gradient set is for another model config");
        int V = c.vocabSize(), P = T - 1;

        // cross-entropy + softmax: dlogits = (p - onehot(y)) / P
        double[] dLogits = tape.dLogits;
        double inv = 1.0 / P;
        for (int t = 0; t < P; t++) {
            int off = t * V;
            for (int j = 0; j < V; j++) dLogits[off + j] = tape.probs[off + j] * inv;
            dLogits[off + tokens[t + 1]] -= inv;
        }
        backwardFromLogits(p, tokens, tape, grad);
    }

    /**
     * The backward from {@code tape.dLogits} (dL/d(logits of positions 0..T-2), [T-1][V], filled by
     * the caller) down to every parameter: the part shared by every loss on the logits (the
     * next-token NLL above, {@link Distillation}'s KL to a teacher).
     */
    static void backwardFromLogits(ParamSet p, int[] tokens, Tape tape, ParamSet grad) {
        LlamaConfig c = p.config();
        int T = tape.tokens;
        int D = c.dim(), Q = c.qDim(), KV = c.kvDim(), H = c.hiddenDim(), V = c.vocabSize(), P = T - 1;
        double[] dLogits = tape.dLogits;

        // classifier: logits = nFinal Wcls^T (only positions 0..P-1 have logits).
        // tape.dA is one [T][D] scratch reused for dN, dB and dA below: each is consumed by its
        // RMSNorm backward before the next use, so they never overlap.
        double[] dN = tape.dA;
        Arrays.fill(dN, 0, T * D, 0.0);
        addDx(dLogits, P, V, p.classifier, D, dN);
        addDw(dLogits, P, V, tape.nFinal, D, grad.classifier, tape.dyT);

        // final RMSNorm into the residual-stream gradient
        double[] dRes = tape.dRes;
        Arrays.fill(dRes, 0, T * D, 0.0);
        rmsNormBackward(dN, tape.xFinal, tape.rFinal, T, D, p.finalNorm, dRes, grad.finalNorm);

        for (int l = c.nLayers() - 1; l >= 0; l--) {
            // FFN: x_out = h + W2 s; dRes reaches h unchanged and s through W2
            double[] dS = tape.dS;
            Arrays.fill(dS, 0, T * H, 0.0);
            addDx(dRes, T, D, p.linear(l, LayerKind.W2), H, dS);
            addDw(dRes, T, D, tape.s[l], H, grad.linear(l, LayerKind.W2), tape.dyT);
            addDb(dRes, T, D, grad.bias(l, LayerKind.W2));

            // SwiGLU: s = silu(u) z
            double[] u = tape.u[l], z = tape.z[l], dU = tape.dU, dZ = tape.dZ;
            for (int i = 0; i < T * H; i++) {
                double sig = TrainingForward.sigmoid(u[i]);
                double silu = u[i] * sig;
                dZ[i] = dS[i] * silu;
                dU[i] = dS[i] * z[i] * sig * (1.0 + u[i] * (1.0 - sig));
            }

            // u = W1 b, z = W3 b
            double[] dB = tape.dA;
            Arrays.fill(dB, 0, T * D, 0.0);
            addDx(dU, T, H, p.linear(l, LayerKind.W1), D, dB);
            addDx(dZ, T, H, p.linear(l, LayerKind.W3), D, dB);
            addDw(dU, T, H, tape.b[l], D, grad.linear(l, LayerKind.W1), tape.dyT);
            addDw(dZ, T, H, tape.b[l], D, grad.linear(l, LayerKind.W3), tape.dyT);
            addDb(dU, T, H, grad.bias(l, LayerKind.W1));
            addDb(dZ, T, H, grad.bias(l, LayerKind.W3));

            // b = RMSNorm(h; g_ffn), accumulated onto the residual gradient (now dL/dh)
            rmsNormBackward(dB, tape.h[l], tape.r2[l], T, D, p.ffnNorm[l], dRes, grad.ffnNorm[l]);

            // h = x_in + Wo o
            double[] dO = tape.dO;
            Arrays.fill(dO, 0, T * Q, 0.0);
            addDx(dRes, T, D, p.linear(l, LayerKind.WO), Q, dO);
            addDw(dRes, T, D, tape.o[l], Q, grad.linear(l, LayerKind.WO), tape.dyT);
            addDb(dRes, T, D, grad.bias(l, LayerKind.WO));

            // attention -> dq, dk, dv (q and k as rotated by RoPE)
            double[] dQ = tape.dQ, dK = tape.dK, dV = tape.dV;
            Arrays.fill(dQ, 0, T * Q, 0.0);
            Arrays.fill(dK, 0, T * KV, 0.0);
            Arrays.fill(dV, 0, T * KV, 0.0);
            attentionBackward(c, T, tape.q[l], tape.k[l], tape.v[l], tape.att[l], dO, dQ, dK, dV, tape);

            // RoPE backward is the inverse rotation
            TrainingForward.rope(dQ, T, c.nHeads(), c.headSize(), tape, true);
            TrainingForward.rope(dK, T, c.nKvHeads(), c.headSize(), tape, true);

            // q = Wq a, k = Wk a, v = Wv a
            double[] dA = tape.dA;
            Arrays.fill(dA, 0, T * D, 0.0);
            addDx(dQ, T, Q, p.linear(l, LayerKind.WQ), D, dA);
            addDx(dK, T, KV, p.linear(l, LayerKind.WK), D, dA);
            addDx(dV, T, KV, p.linear(l, LayerKind.WV), D, dA);
            addDw(dQ, T, Q, tape.a[l], D, grad.linear(l, LayerKind.WQ), tape.dyT);
            addDw(dK, T, KV, tape.a[l], D, grad.linear(l, LayerKind.WK), tape.dyT);
            addDw(dV, T, KV, tape.a[l], D, grad.linear(l, LayerKind.WV), tape.dyT);
            // biases see the gradient of the linear's output (q and k before RoPE: dQ, dK are un-rotated above)
            addDb(dQ, T, Q, grad.bias(l, LayerKind.WQ));
            addDb(dK, T, KV, grad.bias(l, LayerKind.WK));
            addDb(dV, T, KV, grad.bias(l, LayerKind.WV));

            // a = RMSNorm(x_in; g_att), accumulated onto the residual gradient (now dL/dx_in)
            rmsNormBackward(dA, tape.xIn[l], tape.r1[l], T, D, p.attNorm[l], dRes, grad.attNorm[l]);
        }

        // embedding: x_0[t] = E[tokens[t]] (scatter-add; repeated tokens accumulate)
        for (int t = 0; t < T; t++) {
            int eo = tokens[t] * D, ro = t * D;
            for (int i = 0; i < D; i++) grad.embedding[eo + i] += dRes[ro + i];
        }
    }

    /** db[i] += sum over tokens of dy[t][i] (a bias's gradient); nothing when the linear has no bias ({@code db} null). */
    private static void addDb(double[] dy, int tokens, int out, double[] db) {
        if (db == null) return;
        for (int t = 0; t < tokens; t++) for (int i = 0; i < out; i++) db[i] += dy[t * out + i];
    }

    /**
     * Causal GQA attention backward per (query head, t), with the O(T) softmax form
     * dpre[t2] = att[t2] (datt[t2] - sum_t3 att[t3] datt[t3]). K, V and their gradients are held
     * transposed per kv head ([hs][T]) so every inner loop runs along contiguous key positions.
     * Sequential over heads, so the kv-head gradients shared by n_rep query heads accumulate
     * without races.
     */
    private static void attentionBackward(LlamaConfig c, int T, double[] q, double[] k, double[] v, double[][] att,
                                          double[] dOut, double[] dQ, double[] dK, double[] dV, Tape tape) {
        int hs = c.headSize(), D = c.qDim(), rep = c.kvRepeat(), nKv = c.nKvHeads(); // D: the row width of q
        double scale = 1.0 / Math.sqrt(hs);
        double[] kT = tape.kT, vT = tape.vT, dKT = tape.dKT, dVT = tape.dVT, dAtt = tape.dAttRow;
        TrainingForward.transposeHeads(k, T, nKv, hs, kT);
        TrainingForward.transposeHeads(v, T, nKv, hs, vT);
        Arrays.fill(dKT, 0, nKv * hs * T, 0.0);
        Arrays.fill(dVT, 0, nKv * hs * T, 0.0);
        for (int hq = 0; hq < c.nHeads(); hq++) {
            int g = hq / rep, kvBase = g * hs * T;
            double[] A = att[hq];
            for (int t = 0; t < T; t++) {
                int row = Tape.triRow(t), qo = t * D + hq * hs, n = t + 1;
                Arrays.fill(dAtt, 0, n, 0.0);
                for (int d = 0; d < hs; d++) {
                    double go = dOut[qo + d];
                    VecOps.axpy(go, vT, kvBase + d * T, dAtt, 0, n);   // datt = dout . v[t2]
                    VecOps.axpy(go, A, row, dVT, kvBase + d * T, n);   // dv[t2] += att[t2] dout
                }
                double sum = VecOps.dot(A, row, dAtt, 0, n);
                for (int t2 = 0; t2 < n; t2++) dAtt[t2] = A[row + t2] * (dAtt[t2] - sum) * scale; // now scale * dpre
                for (int d = 0; d < hs; d++) {
                    dQ[qo + d] += VecOps.dot(dAtt, 0, kT, kvBase + d * T, n);
                    VecOps.axpy(q[qo + d], dAtt, 0, dKT, kvBase + d * T, n);
                }
            }
        }
        TrainingForward.addTransposedBack(dKT, T, nKv, hs, dK);
        TrainingForward.addTransposedBack(dVT, T, nKv, hs, dV);
    }
}
