package dev.mixprune.model;

import dev.mixprune.tensor.Matrix;

import dev.mixprune.tensor.KernelInfo;
import dev.mixprune.tensor.ThreadTeam;
import dev.mixprune.tensor.VectorOps;

/**
 * Batched forward of one decoder block over nSeq independent causal sequences of seqLen tokens.
 * OWNER: forward work. Contract used by pruning:
 * x is the residual stream [nSeq*seqLen, dim] (sequence-major); returns the block's output residual
 * (a new matrix; x is not modified); calls capture for ATTN_IN, ATTN_OUT, FFN_IN, FFN_MID in that
 * order, each [nSeq*seqLen, in_features] (the exact inputs the linears of that group multiply).
 * Position t of each sequence is RoPE position t (every sequence starts at position 0).
 */
public final class BlockForward {
    private BlockForward() {}

    /** Receives each block's keys (after RoPE) and values [nSeq*seqLen, kvDim]: how the decoder fills its cache in one pass. */
    @FunctionalInterface
    interface KvSink {
        void accept(int block, Matrix keys, Matrix values);

        KvSink NONE = (b, k, v) -> { };
    }

    public static Matrix forward(LlamaConfig c, BlockWeights w, int blockIndex, Matrix x, int nSeq, int seqLen, ActivationCapture capture) {
        return forward(c, w, blockIndex, x, nSeq, seqLen, capture, RopeTable.of(c, Math.max(seqLen, 1)), KvSink.NONE);
    }

    static Matrix forward(LlamaConfig c, BlockWeights w, int blockIndex, Matrix x, int nSeq, int seqLen,
                          ActivationCapture capture, RopeTable rope, KvSink kvSink) {
        if (nSeq < 0 || seqLen < 0 || (long) nSeq * seqLen != x.rows() || x.cols() != c.dim()) {
            throw new IllegalArgumentException("block " + blockIndex + ": residual " + x.shape() + " does not match "
                    + nSeq + " sequences x " + seqLen + " tokens x dim " + c.dim());
        }
        if (capture == null) capture = ActivationCapture.NONE;
        // Two sub-layers in their own methods so that each one's intermediates die when it returns.
        Matrix h = attentionSublayer(c, w, blockIndex, x, nSeq, seqLen, capture, rope, kvSink);
        return ffnSublayer(c, w, blockIndex, h, capture);
    }

    /** h = x + Wo·attention(RoPE(Wq a), RoPE(Wk a), Wv a) with a = RMSNorm1(x). */
    private static Matrix attentionSublayer(LlamaConfig c, BlockWeights w, int blockIndex, Matrix x, int nSeq, int seqLen,
                                            ActivationCapture capture, RopeTable rope, KvSink kvSink) {
        Matrix a = LayerOps.rmsnorm(x, w.attNorm(), c.normEps());
        capture.capture(blockIndex, InputGroup.ATTN_IN, a);
        Matrix q = linear(a, w, LayerKind.WQ);
        Matrix k = linear(a, w, LayerKind.WK);
        Matrix v = linear(a, w, LayerKind.WV);
        applyRope(c, q, k, nSeq, seqLen, rope);
        kvSink.accept(blockIndex, k, v);
        Matrix att = attention(c, q, k, v, nSeq, seqLen);
        capture.capture(blockIndex, InputGroup.ATTN_OUT, att);
        Matrix h = linear(att, w, LayerKind.WO);
        VectorOps.add(h.data(), 0, h.data(), 0, x.data(), 0, h.size());
        return h;
    }

    /** out = h + W2·(silu(W1 b) ⊙ W3 b) with b = RMSNorm2(h) (SwiGLU). */
    private static Matrix ffnSublayer(LlamaConfig c, BlockWeights w, int blockIndex, Matrix h, ActivationCapture capture) {
        Matrix b = LayerOps.rmsnorm(h, w.ffnNorm(), c.normEps());
        capture.capture(blockIndex, InputGroup.FFN_IN, b);
        Matrix gate = linear(b, w, LayerKind.W1);
        Matrix up = linear(b, w, LayerKind.W3);
        VectorOps.siluMul(gate.data(), 0, up.data(), 0, gate.size());
        capture.capture(blockIndex, InputGroup.FFN_MID, gate);
        Matrix out = linear(gate, w, LayerKind.W2);
        VectorOps.add(out.data(), 0, out.data(), 0, h.data(), 0, out.size());
        return out;
    }

    /** x W^T (+ the bias of {@code kind} on every row when the block has one). */
    private static Matrix linear(Matrix x, BlockWeights w, LayerKind kind) {
        Matrix y = Linear.nt(x, w.weight(kind));
        float[] bias = w.bias(kind);
        if (bias != null) {
            float[] d = y.data();
            int n = bias.length;
            for (int r = 0; r < y.rows(); r++) VectorOps.add(d, r * n, d, r * n, bias, 0, n);
        }
        return y;
    }

    private static void applyRope(LlamaConfig c, Matrix q, Matrix k, int nSeq, int seqLen, RopeTable rope) {
        ThreadTeam.shared().forRange(0, nSeq * seqLen, 64, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
            int pos = r % seqLen;
            rope.rotate(q.data(), r * q.cols(), c.nHeads(), pos);
            rope.rotate(k.data(), r * k.cols(), c.nKvHeads(), pos);
            }
        });
    }

    /**
     * Causal multi-head attention, one task per (sequence, kv head) covering the query heads that
     * share it (repeat_kv: query head h reads kv head h / kvRepeat). O(T²) per head in float.
     */
    static Matrix attention(LlamaConfig c, Matrix q, Matrix k, Matrix v, int nSeq, int seqLen) {
        int hs = c.headSize(), nKv = c.nKvHeads(), rep = c.kvRepeat();
        int dim = c.qDim(), kvDim = c.kvDim(); // q rows and outputs are nHeads * headDim wide
        Matrix out = new Matrix(nSeq * seqLen, dim);
        if (!KernelInfo.vectorAvailable()) return attentionScalar(c, q, k, v, nSeq, seqLen);
        ThreadTeam.shared().forEach(nSeq * nKv, task -> {
            int s = task / nKv, g = task % nKv;
            int base = s * seqLen;
            Attention a = new Attention(hs, seqLen);
            a.load(k.data(), v.data(), base, kvDim, g * hs);
            for (int head = g * rep; head < (g + 1) * rep; head++) {
                int t = 0;
                for (; t + 4 <= seqLen; t += 4) {
                    int off = (base + t) * dim + head * hs;
                    a.attend4(q.data(), off, dim, t, out.data());
                }
                for (; t < seqLen; t++) {
                    int off = (base + t) * dim + head * hs;
                    a.attend(q.data(), off, t, out.data(), off);
                }
            }
        });
        return out;
    }

    /** The same attention with the scalar reference kernel, for JVMs without the Vector API module. */
    static Matrix attentionScalar(LlamaConfig c, Matrix q, Matrix k, Matrix v, int nSeq, int seqLen) {
        int hs = c.headSize(), nHeads = c.nHeads(), rep = c.kvRepeat(), dim = c.qDim(), kvDim = c.kvDim();
        Matrix out = new Matrix(nSeq * seqLen, dim);
        ThreadTeam.shared().forEach(nSeq * nHeads, task -> {
            int s = task / nHeads, head = task % nHeads, base = s * seqLen;
            float[] scores = new float[seqLen];
            for (int t = 0; t < seqLen; t++) {
                int off = (base + t) * dim + head * hs;
                LayerOps.attendOne(q.data(), off, k.data(), v.data(), base, kvDim, (head / rep) * hs, t, hs, scores, out.data(), off);
            }
        });
        return out;
    }
}
