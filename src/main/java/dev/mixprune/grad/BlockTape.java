package dev.mixprune.grad;

import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.RopeTable;
import dev.mixprune.tensor.Matrix;

/**
 * One decoder block's forward over a batch of {@code nSeq} sequences of {@code seqLen} tokens
 * (rows sequence-major, as in {@code model.BlockForward}), recorded for its backward, plus the
 * backward's scratch. Everything is float32 and sized for exactly {@code nSeq * seqLen} rows;
 * {@link #ensure} reallocates only when the batch shape changes, so a tape is reused group after
 * group and block after block. Attention probabilities are NOT kept (they would take
 * heads x T²/2 per sequence): the backward recomputes them row by row from q and k.
 *
 * <p>Memory: {@link #bytesPerRow} per row (the forward record and the backward scratch).
 */
public final class BlockTape {
    final LlamaConfig config;
    int nSeq;
    int seqLen;
    int rows;
    RopeTable rope;
    /** Input of the recorded forward (the caller's matrix, not a copy). */
    Matrix x;
    private TrainingBlock.Scratch scratch;

    // forward record
    float[] r1, r2;          // 1/rms of the attention and FFN norms [rows]
    Matrix a;                // RMSNorm1(x) [rows][D]
    Matrix q, k, v;          // q, k after RoPE [rows][Q], [rows][KV], [rows][KV] (Q = nHeads * headDim)
    Matrix o;                // attention output (heads concatenated) [rows][Q]
    Matrix h;                // x + Wo o [rows][D]
    Matrix b;                // RMSNorm2(h) [rows][D]
    Matrix u, z, s;          // W1 b, W3 b, silu(u) z [rows][H]

    // backward scratch
    Matrix dHidA, dHidB;     // dS -> dU, dZ [rows][H]
    Matrix dD;               // dB, then dA [rows][D]
    Matrix dQ, dO;           // [rows][Q]
    Matrix dK, dV;           // [rows][KV]

    public BlockTape(LlamaConfig c) {
        this.config = c;
    }

    /** Sizes the tape for a batch (no-op when the shape is unchanged). */
    public void ensure(int nSeq, int seqLen) {
        if (nSeq < 1 || seqLen < 1) throw new IllegalArgumentException("batch of " + nSeq + " x " + seqLen + " tokens");
        if (rope == null || rope.positions() < seqLen) rope = RopeTable.of(config, seqLen);
        if (nSeq == this.nSeq && seqLen == this.seqLen) return;
        long n = (long) nSeq * seqLen;
        if (n * Math.max(config.dim(), config.hiddenDim()) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(nSeq + " sequences x " + seqLen + " tokens is too many rows for one batch of width "
                    + Math.max(config.dim(), config.hiddenDim()));
        }
        this.nSeq = nSeq;
        this.seqLen = seqLen;
        this.rows = (int) n;
        int D = config.dim(), Q = config.qDim(), KV = config.kvDim(), H = config.hiddenDim();
        // drop the old arrays first so that a shape change does not hold two tapes at once
        a = q = k = v = o = h = b = u = z = s = dHidA = dHidB = dD = dQ = dO = dK = dV = null;
        r1 = new float[rows];
        r2 = new float[rows];
        a = new Matrix(rows, D);
        q = new Matrix(rows, Q);
        k = new Matrix(rows, KV);
        v = new Matrix(rows, KV);
        o = new Matrix(rows, Q);
        h = new Matrix(rows, D);
        b = new Matrix(rows, D);
        u = new Matrix(rows, H);
        z = new Matrix(rows, H);
        s = new Matrix(rows, H);
        dHidA = new Matrix(rows, H);
        dHidB = new Matrix(rows, H);
        dD = new Matrix(rows, D);
        dQ = new Matrix(rows, Q);
        dO = new Matrix(rows, Q);
        dK = new Matrix(rows, KV);
        dV = new Matrix(rows, KV);
    }

    public int rows() { return rows; }

    /** Weight-gradient buffers of the backward, kept with the tape so that they are allocated once. */
    TrainingBlock.Scratch scratch() {
        if (scratch == null) scratch = new TrainingBlock.Scratch();
        return scratch;
    }

    public int nSeq() { return nSeq; }

    public int seqLen() { return seqLen; }

    /** Bytes a tape holds per row (token) of the batch: forward record plus backward scratch. */
    public static long bytesPerRow(LlamaConfig c) {
        long D = c.dim(), Q = c.qDim(), KV = c.kvDim(), H = c.hiddenDim();
        return 4L * (2 + 3 * D + 2 * Q + 2 * KV + 3 * H   // forward record
                + 2 * H + D + 2 * Q + 2 * KV);               // backward scratch
    }
}
