package dev.mixprune.grad;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

import java.util.HashMap;
import java.util.Map;

/**
 * One LLaMA decoder block in float32 for training-style use: a forward that records on a
 * {@link BlockTape}, and the exact analytic backward of it (algorithms.md 10.2) on the project's
 * GEMM kernels ({@code Gemm.nt} forward, {@code nn} input gradients, {@code tn} weight gradients).
 * The double-precision {@code model.backward.Backward} is the reference it is tested against.
 *
 * <p>Given dL/d(block output) the backward returns dL/d(block input) and hands dL/dW of all seven
 * linears (and, on request, of both norm gains) to a {@link GradientSink}, per group of sequences.
 * That is all a caller needs to chain blocks in any order: Fisher traces stream blocks in reverse
 * from checkpointed inputs; recovery (issue 17) trains one block or the whole model.
 *
 * <p>Determinism: GEMM sums run in a fixed order whatever the tiling, attention runs one task per
 * (sequence, kv head), row operations are per row and column reductions run row after row, so
 * results are identical for any thread count.
 */
public final class TrainingBlock {
    private TrainingBlock() {}

    /** Below this many flops a per-group weight-gradient product runs on one thread, groups in parallel. */
    static final long SMALL_PRODUCT_FLOPS = 1L << 24;

    /**
     * The block's forward over x [nSeq*seqLen][dim] (sequence-major, each sequence from position 0),
     * recorded on {@code tape} (sized by {@link BlockTape#ensure}); the output residual is written to
     * {@code out} (same shape, not x). x must stay unchanged until the backward has run.
     */
    public static void forward(LlamaConfig c, BlockWeights w, Matrix x, int nSeq, int seqLen, BlockTape tape, Matrix out, ThreadTeam team) {
        if (x.cols() != c.dim() || (long) nSeq * seqLen != x.rows()) {
            throw new IllegalArgumentException("block input " + x.shape() + " is not " + nSeq + " sequences x " + seqLen + " tokens x dim " + c.dim());
        }
        if (out.rows() != x.rows() || out.cols() != x.cols() || out.data() == x.data()) {
            throw new IllegalArgumentException("block output " + out.shape() + " must be a separate " + x.shape() + " matrix");
        }
        tape.ensure(nSeq, seqLen);
        tape.x = x;
        int R = tape.rows, D = c.dim();
        RowOps.rmsnorm(x.data(), w.attNorm(), c.normEps(), R, D, tape.a.data(), tape.r1, team);
        linear(w, LayerKind.WQ, tape.a, tape.q, team);
        linear(w, LayerKind.WK, tape.a, tape.k, team);
        linear(w, LayerKind.WV, tape.a, tape.v, team);
        rope(c, tape, tape.q.data(), tape.k.data(), false, team);
        AttentionGrad.forward(c, tape.q.data(), tape.k.data(), tape.v.data(), tape.o.data(), nSeq, seqLen, team);
        linear(w, LayerKind.WO, tape.o, tape.h, team);
        RowOps.add(tape.h.data(), x.data(), tape.h.size(), team);
        RowOps.rmsnorm(tape.h.data(), w.ffnNorm(), c.normEps(), R, D, tape.b.data(), tape.r2, team);
        linear(w, LayerKind.W1, tape.b, tape.u, team);
        linear(w, LayerKind.W3, tape.b, tape.z, team);
        RowOps.swiglu(tape.u.data(), tape.z.data(), tape.s.data(), tape.s.size(), team);
        linear(w, LayerKind.W2, tape.s, out, team);
        RowOps.add(out.data(), tape.h.data(), out.size(), team);
    }

    /**
     * Backward of the forward recorded on {@code tape}. On entry {@code dRes} holds dL/d(block
     * output) [rows][dim]; on return it holds dL/d(block input). Parameter gradients go to
     * {@code sink}, one group per {@code seqsPerGroup} consecutive sequences (the last group may be
     * shorter).
     */
    public static void backward(LlamaConfig c, BlockWeights w, BlockTape tape, Matrix dRes, int seqsPerGroup, GradientSink sink, ThreadTeam team) {
        if (tape.x == null) throw new IllegalStateException("backward without a recorded forward");
        if (dRes.rows() != tape.rows || dRes.cols() != c.dim()) throw new IllegalArgumentException("output gradient " + dRes.shape() + " does not match the tape's " + tape.rows + " rows");
        if (seqsPerGroup < 1) throw new IllegalArgumentException("sequences per group must be >= 1, got " + seqsPerGroup);
        Groups groups = new Groups(tape.nSeq, tape.seqLen, seqsPerGroup);
        int R = tape.rows, D = c.dim();
        Scratch scratch = tape.scratch();

        // FFN: out = h + W2 s; dRes reaches h unchanged and s through W2.
        Gemm.nn(dRes, w.linear(LayerKind.W2), tape.dHidA, false, team);                          // dS
        weightGradients(w, LayerKind.W2, dRes, tape.s, groups, sink, scratch, team);
        RowOps.swigluBackward(tape.u.data(), tape.z.data(), tape.dHidA.data(), tape.dHidB.data(), tape.dHidA.size(), team); // dU, dZ
        Gemm.nn(tape.dHidA, w.linear(LayerKind.W1), tape.dD, false, team);                         // dB
        Gemm.nn(tape.dHidB, w.linear(LayerKind.W3), tape.dD, true, team);
        weightGradients(w, LayerKind.W1, tape.dHidA, tape.b, groups, sink, scratch, team);
        weightGradients(w, LayerKind.W3, tape.dHidB, tape.b, groups, sink, scratch, team);
        normGradients(GradientSink.Norm.FFN, tape.dD, tape.h, tape.r2, groups, sink, team);
        RowOps.rmsnormBackward(tape.dD.data(), tape.h.data(), tape.r2, w.ffnNorm(), R, D, dRes.data(), team); // now dL/dh

        // Attention: h = x + Wo o.
        Gemm.nn(dRes, w.linear(LayerKind.WO), tape.dO, false, team);                              // dO
        weightGradients(w, LayerKind.WO, dRes, tape.o, groups, sink, scratch, team);
        AttentionGrad.backward(c, tape.q.data(), tape.k.data(), tape.v.data(), tape.dO.data(), tape.dQ.data(),
                tape.dK.data(), tape.dV.data(), tape.nSeq, tape.seqLen, team);                        // dQ, dK, dV (rotated)
        rope(c, tape, tape.dQ.data(), tape.dK.data(), true, team);                                  // RoPE backward
        Gemm.nn(tape.dQ, w.linear(LayerKind.WQ), tape.dD, false, team);                           // dA
        Gemm.nn(tape.dK, w.linear(LayerKind.WK), tape.dD, true, team);
        Gemm.nn(tape.dV, w.linear(LayerKind.WV), tape.dD, true, team);
        weightGradients(w, LayerKind.WQ, tape.dQ, tape.a, groups, sink, scratch, team);
        weightGradients(w, LayerKind.WK, tape.dK, tape.a, groups, sink, scratch, team);
        weightGradients(w, LayerKind.WV, tape.dV, tape.a, groups, sink, scratch, team);
        normGradients(GradientSink.Norm.ATTENTION, tape.dD, tape.x, tape.r1, groups, sink, team);
        RowOps.rmsnormBackward(tape.dD.data(), tape.x.data(), tape.r1, w.attNorm(), R, D, dRes.data(), team); // now dL/dx
    }

    /** y = x Wᵀ (+ the bias of {@code kind} on every row when the block has one), as {@code model.BlockForward} computes it. */
    private static void linear(BlockWeights w, LayerKind kind, Matrix x, Matrix y, ThreadTeam team) {
        Products.nt(x, w.linear(kind), y, false, team);
        float[] bias = w.bias(kind);
        if (bias != null) {
            float[] d = y.data();
            int n = bias.length;
            team.forRange(0, y.rows(), 64, (lo, hi) -> {
                for (int r = lo; r < hi; r++) dev.mixprune.tensor.VectorOps.add(d, r * n, d, r * n, bias, 0, n);
            });
        }
    }

    /** Consecutive sequences grouped for the parameter gradients. */
    record Groups(int nSeq, int seqLen, int perGroup) {
        int count() { return (nSeq + perGroup - 1) / perGroup; }

        int firstRow(int g) { return g * perGroup * seqLen; }

        int endRow(int g) { return Math.min(nSeq, (g + 1) * perGroup) * seqLen; }
    }

    /** Reusable arrays keyed by length: one weight-gradient buffer and two row slices serve all linears. */
    static final class Scratch {
        private final Map<Integer, float[]> grads = new HashMap<>();
        private final Map<Integer, float[]> dySlices = new HashMap<>();
        private final Map<Integer, float[]> xSlices = new HashMap<>();

        /** A rows x cols matrix over a buffer of that length (shared by equal-sized shapes, e.g. w1 and w2). */
        Matrix grad(int rows, int cols) { return new Matrix(rows, cols, grads.computeIfAbsent(rows * cols, float[]::new)); }

        Matrix dySlice(Matrix src, int r0, int r1) { return slice(dySlices, src, r0, r1); }

        Matrix xSlice(Matrix src, int r0, int r1) { return slice(xSlices, src, r0, r1); }

        private static Matrix slice(Map<Integer, float[]> cache, Matrix src, int r0, int r1) {
            int cols = src.cols(), n = (r1 - r0) * cols;
            float[] a = cache.computeIfAbsent(n, float[]::new);
            System.arraycopy(src.data(), r0 * cols, a, 0, n);
            return new Matrix(r1 - r0, cols, a);
        }
    }

    /** dW = dyᵀ x per group (tn), handed to the sink; then, when wanted and the layer has one, db = Σ rows dy. */
    private static void weightGradients(BlockWeights w, LayerKind kind, Matrix dy, Matrix x, Groups groups, GradientSink sink, Scratch scratch,
                                        ThreadTeam team) {
        weightOnly(kind, dy, x, groups, sink, scratch, team);
        if (sink.wantsBiases() && w.bias(kind) != null) biasGradients(kind, dy, groups, sink, team);
    }

    /** db = Σ_{rows of the group} dy, in double row after row (parallel over columns only: fixed order). */
    private static void biasGradients(LayerKind kind, Matrix dy, Groups groups, GradientSink sink, ThreadTeam team) {
        int out = dy.cols();
        float[] d = dy.data();
        for (int g = 0; g < groups.count(); g++) {
            int r0 = groups.firstRow(g), r1 = groups.endRow(g);
            double[] acc = new double[out];
            team.forRange(0, out, 64, (lo, hi) -> {
                for (int r = r0; r < r1; r++) for (int j = lo; j < hi; j++) acc[j] += d[r * out + j];
            });
            float[] f = new float[out];
            for (int j = 0; j < out; j++) f[j] = (float) acc[j];
            sink.bias(g, kind, f);
        }
    }

    private static void weightOnly(LayerKind kind, Matrix dy, Matrix x, Groups groups, GradientSink sink, Scratch scratch, ThreadTeam team) {
        int out = dy.cols(), in = x.cols(), n = groups.count();
        if (n == 1) {
            Matrix g = scratch.grad(out, in);
            Gemm.tn(dy, x, g, false, team);
            sink.linear(0, kind, g);
            return;
        }
        long flops = 2L * out * in * (long) groups.perGroup() * groups.seqLen();
        if (flops < SMALL_PRODUCT_FLOPS) {
            // Small products: one thread each, groups in parallel (each chunk its own buffers).
            team.forRange(0, n, 1, (g0, g1) -> {
                Scratch local = new Scratch();
                for (int g = g0; g < g1; g++) oneGroup(kind, dy, x, groups, g, sink, local, team);
            });
        } else {
            for (int g = 0; g < n; g++) oneGroup(kind, dy, x, groups, g, sink, scratch, team);
        }
    }

    private static void oneGroup(LayerKind kind, Matrix dy, Matrix x, Groups groups, int g, GradientSink sink, Scratch s, ThreadTeam team) {
        int r0 = groups.firstRow(g), r1 = groups.endRow(g);
        Matrix grad = s.grad(dy.cols(), x.cols());
        Gemm.tn(s.dySlice(dy, r0, r1), s.xSlice(x, r0, r1), grad, false, team);
        sink.linear(g, kind, grad);
    }

    private static void normGradients(GradientSink.Norm norm, Matrix dy, Matrix x, float[] inv, Groups groups, GradientSink sink, ThreadTeam team) {
        if (!sink.wantsNorms()) return;
        int D = x.cols();
        for (int g = 0; g < groups.count(); g++) {
            double[] acc = new double[D];
            RowOps.rmsnormGainGradient(dy.data(), x.data(), inv, groups.firstRow(g), groups.endRow(g), D, acc, team);
            float[] out = new float[D];
            for (int i = 0; i < D; i++) out[i] = (float) acc[i];
            sink.norm(g, norm, out);
        }
    }

    /** RoPE (or its inverse) on every row of q [rows][Q] and k [rows][KV]; row r is position r mod seqLen. */
    private static void rope(LlamaConfig c, BlockTape tape, float[] q, float[] k, boolean inverse, ThreadTeam team) {
        int T = tape.seqLen, D = c.qDim(), KV = c.kvDim();
        team.forRange(0, tape.rows, 64, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int pos = r % T;
                if (inverse) {
                    tape.rope.rotateInverse(q, r * D, c.nHeads(), pos);
                    tape.rope.rotateInverse(k, r * KV, c.nKvHeads(), pos);
                } else {
                    tape.rope.rotate(q, r * D, c.nHeads(), pos);
                    tape.rope.rotate(k, r * KV, c.nKvHeads(), pos);
                }
            }
        });
    }

}
