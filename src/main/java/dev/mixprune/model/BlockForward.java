package dev.mixprune.model;

import dev.mixprune.tensor.Matrix;

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

    public static Matrix forward(LlamaConfig c, BlockWeights w, int blockIndex, Matrix x, int nSeq, int seqLen, ActivationCapture capture) {
        return forward(c, w, blockIndex, x, nSeq, seqLen, capture, new RopeTable(c.headSize(), Math.max(seqLen, 1), c.ropeTheta()));
    }

    static Matrix forward(LlamaConfig c, BlockWeights w, int blockIndex, Matrix x, int nSeq, int seqLen,
                          ActivationCapture capture, RopeTable rope) {
        if (nSeq < 0 || seqLen < 0 || (long) nSeq * seqLen != x.rows() || x.cols() != c.dim()) {
            throw new IllegalArgumentException("block " + blockIndex + ": residual " + x.shape() + " does not match "
                    + nSeq + " sequences x " + seqLen + " tokens x dim " + c.dim());
        }
        if (capture == null) capture = ActivationCapture.NONE;

        // Attention sub-block: the three projections read the same normalised input.
        Matrix a = LayerOps.rmsnorm(x, w.attNorm(), c.normEps());
        capture.capture(blockIndex, InputGroup.ATTN_IN, a);
        Matrix q = Linear.nt(a, w.weight(LayerKind.WQ));
        Matrix k = Linear.nt(a, w.weight(LayerKind.WK));
        Matrix v = Linear.nt(a, w.weight(LayerKind.WV));
        applyRope(c, q, k, nSeq, seqLen, rope);
        Matrix att = attention(c, q, k, v, nSeq, seqLen);
        capture.capture(blockIndex, InputGroup.ATTN_OUT, att);
        Matrix h = Linear.nt(att, w.weight(LayerKind.WO));
        VectorOps.add(h.data(), 0, h.data(), 0, x.data(), 0, h.size()); // h = x + Wo·att

        // Feed-forward sub-block (SwiGLU).
        Matrix b = LayerOps.rmsnorm(h, w.ffnNorm(), c.normEps());
        capture.capture(blockIndex, InputGroup.FFN_IN, b);
        Matrix gate = Linear.nt(b, w.weight(LayerKind.W1));
        Matrix up = Linear.nt(b, w.weight(LayerKind.W3));
        VectorOps.siluMul(gate.data(), 0, up.data(), 0, gate.size());
        capture.capture(blockIndex, InputGroup.FFN_MID, gate);
        Matrix out = Linear.nt(gate, w.weight(LayerKind.W2));
        VectorOps.add(out.data(), 0, out.data(), 0, h.data(), 0, out.size()); // out = h + W2·mid
        return out;
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
    private static Matrix attention(LlamaConfig c, Matrix q, Matrix k, Matrix v, int nSeq, int seqLen) {
        int hs = c.headSize(), nKv = c.nKvHeads(), rep = c.kvRepeat();
        int dim = c.dim(), kvDim = c.kvDim();
        Matrix out = new Matrix(nSeq * seqLen, dim);
        ThreadTeam.shared().forEach(nSeq * nKv, task -> {
            int s = task / nKv, g = task % nKv;
            int base = s * seqLen;
            Attention a = new Attention(hs, seqLen);
            a.load(k.data(), v.data(), base, kvDim, g * hs);
            for (int head = g * rep; head < (g + 1) * rep; head++) {
                for (int t = 0; t < seqLen; t++) {
                    int off = (base + t) * dim + head * hs;
                    a.attend(q.data(), off, t, out.data(), off);
                }
            }
        });
        return out;
    }
}
