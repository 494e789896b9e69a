package dev.mixprune.model.backward;

import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;

import static dev.mixprune.model.backward.DoubleKernels.matmulWT;
import static dev.mixprune.model.backward.DoubleKernels.rmsNorm;

/**
 * The LLaMA forward of algorithms.md 9.3 in double precision over one whole sequence, recording on
 * a {@link Tape} every activation the {@link Backward} needs. The loss is the mean next-token
 * cross-entropy over the sequence's T-1 predictions (positions 0..T-2 predict tokens 1..T-1), in
 * nats; the last position's logits are never needed and are not computed.
 */
public final class TrainingForward {
    private TrainingForward() {}

    /** Runs the forward of {@code tokens} and records it on {@code tape}; returns the loss. */
    public static double forward(ParamSet p, int[] tokens, Tape tape) {
        LlamaConfig c = p.config();
        if (tape.config != c && !tape.config.equals(c)) throw new IllegalArgumentException("tape was made for another model config");
        int T = tokens.length;
        if (T < 2) throw new IllegalArgumentException("sequence has " + T + " tokens; a next-token loss needs at least 2");
        if (T > tape.capacity) throw new IllegalArgumentException("sequence has " + T + " tokens, tape capacity is " + tape.capacity);
        int D = c.dim(), Q = c.qDim(), KV = c.kvDim(), H = c.hiddenDim(), V = c.vocabSize();
        double eps = Tape.exactDecimal(c.normEps());
        for (int t = 0; t < T; t++) {
            if (tokens[t] < 0 || tokens[t] >= V) throw new IllegalArgumentException("token " + tokens[t] + " at position " + t + " outside vocabulary 0.." + (V - 1));
        }
        tape.tokens = T;

        double[] x = tape.xFinal; // the residual stream lives here and is copied into xIn per layer
        for (int t = 0; t < T; t++) System.arraycopy(p.embedding, tokens[t] * D, x, t * D, D);

        for (int l = 0; l < c.nLayers(); l++) {
            System.arraycopy(x, 0, tape.xIn[l], 0, T * D);
            rmsNorm(x, T, D, p.attNorm[l], eps, tape.a[l], tape.r1[l]);
            linear(p, l, LayerKind.WQ, tape.a[l], T, D, Q, tape.q[l], tape);
            linear(p, l, LayerKind.WK, tape.a[l], T, D, KV, tape.k[l], tape);
            linear(p, l, LayerKind.WV, tape.a[l], T, D, KV, tape.v[l], tape);
            rope(tape.q[l], T, c.nHeads(), c.headSize(), tape, false);
            rope(tape.k[l], T, c.nKvHeads(), c.headSize(), tape, false);
            attention(c, T, tape.q[l], tape.k[l], tape.v[l], tape.att[l], tape.o[l], tape);
            // h = x + o Wo^T; the product goes through a scratch buffer, then adds onto the stream
            double[] tmp = tape.dA;
            linear(p, l, LayerKind.WO, tape.o[l], T, Q, D, tmp, tape);
            for (int i = 0; i < T * D; i++) x[i] += tmp[i];
            System.arraycopy(x, 0, tape.h[l], 0, T * D);

            rmsNorm(x, T, D, p.ffnNorm[l], eps, tape.b[l], tape.r2[l]);
            linear(p, l, LayerKind.W1, tape.b[l], T, D, H, tape.u[l], tape);
            linear(p, l, LayerKind.W3, tape.b[l], T, D, H, tape.z[l], tape);
            double[] u = tape.u[l], zz = tape.z[l], s = tape.s[l];
            for (int i = 0; i < T * H; i++) s[i] = silu(u[i]) * zz[i];
            linear(p, l, LayerKind.W2, s, T, H, D, tmp, tape);
            for (int i = 0; i < T * D; i++) x[i] += tmp[i];
        }

        rmsNorm(x, T, D, p.finalNorm, eps, tape.nFinal, tape.rFinal);
        int P = T - 1;
        double[] logits = tape.probs;
        matmulWT(tape.nFinal, P, D, p.classifier, V, logits, tape.wT);
        double nll = 0;
        for (int t = 0; t < P; t++) {
            int off = t * V;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < V; j++) max = Math.max(max, logits[off + j]);
            double sum = 0;
            for (int j = 0; j < V; j++) sum += Math.exp(logits[off + j] - max);
            double logZ = max + Math.log(sum);
            nll += logZ - logits[off + tokens[t + 1]];
            for (int j = 0; j < V; j++) logits[off + j] = Math.exp(logits[off + j] - logZ);
        }
        tape.loss = nll / P;
        return tape.loss;
    }

    /** y [T][out] = x [T][in] W^T (+ the linear's bias on every row when it has one). */
    private static void linear(ParamSet p, int l, LayerKind kind, double[] x, int T, int in, int out, double[] y, Tape tape) {
        matmulWT(x, T, in, p.linear(l, kind), out, y, tape.wT);
        double[] bias = p.bias(l, kind);
        if (bias != null) {
            for (int t = 0; t < T; t++) for (int i = 0; i < out; i++) y[t * out + i] += bias[i];
        }
    }

    static double silu(double x) { return x / (1.0 + Math.exp(-x)); }

    static double sigmoid(double x) { return 1.0 / (1.0 + Math.exp(-x)); }

    /**
     * Meta interleaved RoPE on [T][heads][hs]: pairs (2j, 2j+1) rotated by pos * theta^(-2j/hs).
     * With {@code inverse} it rotates by the negative angle, which is the backward (rotations are
     * orthogonal, so the transpose is the inverse).
     */
    static void rope(double[] x, int T, int heads, int hs, Tape tape, boolean inverse) {
        int half = hs / 2;
        for (int t = 0; t < T; t++) {
            for (int hh = 0; hh < heads; hh++) {
                int base = (t * heads + hh) * hs;
                for (int j = 0; j < half; j++) {
                    double cs = tape.cos[t * half + j];
                    double sn = inverse ? -tape.sin[t * half + j] : tape.sin[t * half + j];
                    double x0 = x[base + 2 * j], x1 = x[base + 2 * j + 1];
                    x[base + 2 * j] = x0 * cs - x1 * sn;
                    x[base + 2 * j + 1] = x0 * sn + x1 * cs;
                }
            }
        }
    }

    /**
     * Causal GQA attention; query head hq reads kv head hq / (nHeads / nKvHeads). K and V are
     * first transposed per kv head to [hs][T] so that scores and outputs run along contiguous key
     * positions (axpy for the scores, dot products for the outputs).
     */
    private static void attention(LlamaConfig c, int T, double[] q, double[] k, double[] v, double[][] att, double[] out, Tape tape) {
        int hs = c.headSize(), D = c.qDim(), rep = c.kvRepeat(); // D: the row width of q and out
        double scale = 1.0 / Math.sqrt(hs);
        double[] kT = tape.kT, vT = tape.vT;
        transposeHeads(k, T, c.nKvHeads(), hs, kT);
        transposeHeads(v, T, c.nKvHeads(), hs, vT);
        for (int hq = 0; hq < c.nHeads(); hq++) {
            int g = hq / rep, kvBase = g * hs * T;
            double[] A = att[hq];
            for (int t = 0; t < T; t++) {
                int row = Tape.triRow(t), qo = t * D + hq * hs, n = t + 1;
                java.util.Arrays.fill(A, row, row + n, 0.0);
                for (int d = 0; d < hs; d++) VecOps.axpy(q[qo + d] * scale, kT, kvBase + d * T, A, row, n);
                double max = Double.NEGATIVE_INFINITY;
                for (int t2 = 0; t2 < n; t2++) max = Math.max(max, A[row + t2]);
                double sum = 0;
                for (int t2 = 0; t2 < n; t2++) {
                    double e = Math.exp(A[row + t2] - max);
                    A[row + t2] = e;
                    sum += e;
                }
                double inv = 1.0 / sum;
                for (int t2 = 0; t2 < n; t2++) A[row + t2] *= inv;
                for (int d = 0; d < hs; d++) out[qo + d] = VecOps.dot(A, row, vT, kvBase + d * T, n);
            }
        }
    }

    /** [T][heads][hs] into [heads][hs][T]. */
    static void transposeHeads(double[] x, int T, int heads, int hs, double[] xT) {
        int width = heads * hs;
        for (int t = 0; t < T; t++) {
            for (int j = 0; j < width; j++) xT[j * T + t] = x[t * width + j];
        }
    }

    /** [heads][hs][T] added onto [T][heads][hs]. */
    static void addTransposedBack(double[] xT, int T, int heads, int hs, double[] x) {
        int width = heads * hs;
        for (int j = 0; j < width; j++) {
            for (int t = 0; t < T; t++) x[t * width + j] += xT[j * T + t];
        }
    }
}
