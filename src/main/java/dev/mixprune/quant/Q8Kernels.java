package dev.mixprune.quant;

import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.GemmReference;
import dev.mixprune.tensor.Gemv;
import dev.mixprune.tensor.KernelInfo;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products with a dense Q8_0 weight ({@link Q8Matrix}). Decode is bandwidth-bound, so the GEMV
 * reads the int8 quants themselves (1.06 bytes per weight instead of 4) and widens them in
 * registers: per block of 32 and row, the quants times x summed in float, then multiplied by the
 * block's scale into the row's accumulator. Prefill (many tokens) is compute-bound: the GEMM
 * widens panels of rows to float once and runs the dense {@link Gemm}.
 * References: {@link #gemvReference}, {@link #gemmReference} (dense expansion, double).
 */
public final class Q8Kernels {
    private Q8Kernels() {}

    /** Weights below which one thread does the whole GEMV. */
    private static final int PARALLEL_WEIGHTS = 1 << 16;

    /** y[0..rows) = W x. */
    public static void gemv(Q8Matrix w, float[] x, float[] y) {
        check(w, x, y);
        int rows = w.rows();
        if (!KernelInfo.vectorAvailable()) {
            scalarRows(w, x, y, 0, rows);
            return;
        }
        byRowGroups(rows, w.cols(), 4, (r0, r1) -> Kernel.rows(w, x, y, r0, r1));
    }

    private interface RowRange {
        void run(int r0, int r1);
    }

    /**
     * Rows [0, rows) through the kernel: inline when small or already inside a task, else one
     * contiguous run of whole groups of groupRows rows per thread (one long sequential read each).
     */
    private static void byRowGroups(int rows, int cols, int groupRows, RowRange kernel) {
        if ((long) rows * cols < PARALLEL_WEIGHTS || ThreadTeam.insideTask()) {
            kernel.run(0, rows);
            return;
        }
        ThreadTeam team = ThreadTeam.shared();
        int groups = (rows + groupRows - 1) / groupRows;
        team.forChunks(0, groups, team.size(), (g0, g1) -> kernel.run(groupRows * g0, Math.min(rows, groupRows * g1)));
    }

    /**
     * y[0..rows) = W q(x), the decode product: x quantized to int8 per block of 32 first
     * ({@link QuantizedInput}: llama.cpp's rule for the activations of its Q8_0 dot product), then per
     * row and block an integer dot product of the weight quants with the input quants, converted
     * once and multiplied by weight scale x input scale. Measured 1.6-1.7x the float kernel on
     * 32000 x 2048 and 5632 x 2048 and 1.4x on 2048 x 5632 at one thread, weights streamed from memory
     * (docs/benchmarks.md, session 8): per 32 weights
     * one widening to shorts, one 16-bit multiply, three pair-sum operations, one conversion and
     * one FMA, against the float kernel's two widenings to float, two conversions and three FMAs.
     * Machines without 512-bit vectors run the float kernel on the dequantized q(x), so every
     * machine computes the same product.
     */
    public static void gemvQuantizedInput(Q8Matrix w, float[] x, float[] y) {
        check(w, x, y);
        QuantizedInput in = QuantizedInput.of(x, w.cols(), 0);
        if (!integerKernel()) {
            gemv(w, in.dequantized(), y);
            return;
        }
        byRowGroups(w.rows(), w.cols(), 2, (r0, r1) -> IntKernel.rows(w, in, y, r0, r1));
    }

    /** True when {@link #gemvQuantizedInput} runs the integer kernel on this machine. */
    public static boolean integerKernel() {
        return KernelInfo.vectorAvailable() && IntKernel.SUPPORTED;
    }

    /** Obviously-correct y = W q(x): the dequantized weight times the dequantized quantized input, in double. */
    public static void gemvQuantizedInputReference(Q8Matrix w, float[] x, float[] y) {
        check(w, x, y);
        Gemv.reference(w.toDense(), QuantizedInput.of(x, w.cols(), 0).dequantized(), y);
    }

    /** The same sums in plain loops (block sum in float, then times the scale), for machines without the Vector API. */
    static void scalarRows(Q8Matrix w, float[] x, float[] y, int r0, int r1) {
        int cols = w.cols(), nb = w.blocksPerRow();
        for (int r = r0; r < r1; r++) {
            float acc = 0f;
            for (int b = 0; b < nb; b++) {
                float s = 0f;
                for (int j = 0, i = r * cols + b * 32, c = b * 32; j < 32; j++) s += w.q[i + j] * x[c + j];
                acc += s * w.scale(r, b);
            }
            y[r] = acc;
        }
    }

    /** Obviously-correct y = W x over the dequantized weight, in double. */
    public static void gemvReference(Q8Matrix w, float[] x, float[] y) {
        check(w, x, y);
        Gemv.reference(w.toDense(), x, y);
    }

    private static void check(Q8Matrix w, float[] x, float[] y) {
        if (x.length < w.cols() || y.length < w.rows()) {
            throw new IllegalArgumentException("q8 gemv " + w.rows() + "x" + w.cols() + " with x[" + x.length + "], y[" + y.length + "]");
        }
    }

    /** Bytes of float weights one GEMM panel may widen to at a time. */
    private static final long PANEL_BYTES = 16L << 20;

    /**
     * Y [tokens, rows] = X [tokens, cols] * W^T: panels of rows widened to float (exactly d * q)
     * and multiplied with the dense GEMM. Widening costs one conversion per weight, the product
     * 2 * tokens flops per weight; few tokens go through the GEMV instead.
     */
    public static Matrix gemm(Matrix x, Q8Matrix w) {
        if (x.cols() != w.cols()) throw new IllegalArgumentException("q8 gemm: x " + x.shape() + " vs weight " + w.shape());
        int tokens = x.rows(), rows = w.rows(), cols = w.cols();
        Matrix out = new Matrix(tokens, rows);
        if (tokens < 4) {
            float[] xi = new float[cols], yi = new float[rows];
            for (int i = 0; i < tokens; i++) {
                System.arraycopy(x.data(), i * cols, xi, 0, cols);
                gemv(w, xi, yi);
                System.arraycopy(yi, 0, out.data(), i * rows, rows);
            }
            return out;
        }
        int panel = (int) Math.max(1, Math.min(rows, PANEL_BYTES / (4L * cols)));
        float[] o = out.data();
        for (int r0 = 0; r0 < rows; r0 += panel) {
            int n = Math.min(panel, rows - r0);
            Matrix part = Gemm.nt(x, widen(w, r0, n));
            float[] p = part.data();
            for (int i = 0; i < tokens; i++) System.arraycopy(p, i * n, o, i * rows + r0, n);
        }
        return out;
    }

    /** Rows [r0, r0 + n) as floats (d * q), widened in parallel. */
    static Matrix widen(Q8Matrix w, int r0, int n) {
        int cols = w.cols(), nb = w.blocksPerRow();
        Matrix m = new Matrix(n, cols);
        float[] d = m.data();
        Runnable all = () -> widenRows(w, r0, 0, n, d);
        if ((long) n * cols < PARALLEL_WEIGHTS || ThreadTeam.insideTask()) all.run();
        else ThreadTeam.shared().forRange(0, n, Math.max(1, (1 << 14) / cols), (a, b) -> widenRows(w, r0, a, b, d));
        return m;
    }

    private static void widenRows(Q8Matrix w, int r0, int a, int b, float[] d) {
        int cols = w.cols(), nb = w.blocksPerRow();
        for (int r = a; r < b; r++) {
            for (int k = 0; k < nb; k++) {
                float s = w.scale(r0 + r, k);
                for (int j = 0, i = (r0 + r) * cols + k * 32, o = r * cols + k * 32; j < 32; j++) d[o + j] = s * w.q[i + j];
            }
        }
    }

    /** Obviously-correct Y = X W^T over the dequantized weight, in double. */
    public static Matrix gemmReference(Matrix x, Q8Matrix w) {
        Matrix out = new Matrix(x.rows(), w.rows());
        GemmReference.nt(x, w.toDense(), out, false);
        return out;
    }

    /** The Vector-API part, in its own class so that this one loads without the module. */
    private static final class Kernel {
        static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
        static final int L = F.length();
        /** Bytes widened to one float vector: a quarter of its bits. */
        static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4));
        /** Float vectors per 32-value block. */
        static final int VB = 32 / L;

        static FloatVector widen(byte[] q, int at) {
            return (FloatVector) ByteVector.fromArray(B, q, at).convertShape(VectorOperators.B2F, F, 0);
        }

        /**
         * y[r] for r in [r0, r1), four rows per pass so that each x vector feeds four rows: per
         * block, each row's quants times x into a block sum (VB FMAs), then block sum times the
         * block's scale into the row's accumulator (one FMA).
         */
        static void rows(Q8Matrix w, float[] x, float[] y, int r0, int r1) {
            int cols = w.cols(), nb = w.blocksPerRow();
            byte[] q = w.q;
            short[] sc = w.scales;
            int r = r0;
            for (; r + 4 <= r1; r += 4) {
                int o0 = r * cols, o1 = o0 + cols, o2 = o1 + cols, o3 = o2 + cols;
                int s0 = r * nb, s1 = s0 + nb, s2 = s1 + nb, s3 = s2 + nb;
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int b = 0; b < nb; b++) {
                    int c = b * 32;
                    FloatVector xv = FloatVector.fromArray(F, x, c);
                    FloatVector d0 = widen(q, o0 + c).mul(xv), d1 = widen(q, o1 + c).mul(xv);
                    FloatVector d2 = widen(q, o2 + c).mul(xv), d3 = widen(q, o3 + c).mul(xv);
                    for (int v = 1; v < VB; v++) {
                        int cv = c + v * L;
                        xv = FloatVector.fromArray(F, x, cv);
                        d0 = widen(q, o0 + cv).fma(xv, d0);
                        d1 = widen(q, o1 + cv).fma(xv, d1);
                        d2 = widen(q, o2 + cv).fma(xv, d2);
                        d3 = widen(q, o3 + cv).fma(xv, d3);
                    }
                    a0 = d0.fma(FloatVector.broadcast(F, Float.float16ToFloat(sc[s0 + b])), a0);
                    a1 = d1.fma(FloatVector.broadcast(F, Float.float16ToFloat(sc[s1 + b])), a1);
                    a2 = d2.fma(FloatVector.broadcast(F, Float.float16ToFloat(sc[s2 + b])), a2);
                    a3 = d3.fma(FloatVector.broadcast(F, Float.float16ToFloat(sc[s3 + b])), a3);
                }
                y[r] = a0.reduceLanes(VectorOperators.ADD);
                y[r + 1] = a1.reduceLanes(VectorOperators.ADD);
                y[r + 2] = a2.reduceLanes(VectorOperators.ADD);
                y[r + 3] = a3.reduceLanes(VectorOperators.ADD);
            }
            for (; r < r1; r++) {
                int o = r * cols, s = r * nb;
                FloatVector a = FloatVector.zero(F);
                for (int b = 0; b < nb; b++) {
                    int c = b * 32;
                    FloatVector d = widen(q, o + c).mul(FloatVector.fromArray(F, x, c));
                    for (int v = 1; v < VB; v++) d = widen(q, o + c + v * L).fma(FloatVector.fromArray(F, x, c + v * L), d);
                    a = d.fma(FloatVector.broadcast(F, Float.float16ToFloat(sc[s + b])), a);
                }
                y[r] = a.reduceLanes(VectorOperators.ADD);
            }
        }
    }

    /**
     * The integer GEMV of {@link #gemvQuantizedInput}, 512-bit vectors: one block of 32 is one
     * vector of 32 shorts. Two rows per pass share the input loads (one row per pass measured
     * 1.1-1.4x slower: the per-row scale conversion and reduction are a larger share).
     */
    private static final class IntKernel {
        static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
        static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
        static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
        static final boolean SUPPORTED = F.length() == 16;

        static void rows(Q8Matrix w, QuantizedInput in, float[] y, int r0, int r1) {
            int cols = w.cols(), nb = w.blocksPerRow();
            byte[] q = w.q;
            short[] xq = in.q();
            float[] xs = in.scale();
            float[] cs = new float[2 * nb];
            int r = r0;
            for (; r + 2 <= r1; r += 2) {
                int o0 = r * cols, o1 = o0 + cols;
                combinedScales(w, r, 2, xs, cs);
                FloatVector a0 = FloatVector.zero(F), a1 = a0;
                for (int b = 0; b < nb; b++) {
                    int c = 32 * b;
                    ShortVector xv = ShortVector.fromArray(S, xq, c);
                    a0 = pairSums(q, o0 + c, xv).fma(FloatVector.broadcast(F, cs[b]), a0);
                    a1 = pairSums(q, o1 + c, xv).fma(FloatVector.broadcast(F, cs[nb + b]), a1);
                }
                y[r] = a0.reduceLanes(VectorOperators.ADD);
                y[r + 1] = a1.reduceLanes(VectorOperators.ADD);
            }
            if (r < r1) {
                int o = r * cols;
                combinedScales(w, r, 1, xs, cs);
                FloatVector a = FloatVector.zero(F);
                for (int b = 0; b < nb; b++) {
                    a = pairSums(q, o + 32 * b, ShortVector.fromArray(S, xq, 32 * b)).fma(FloatVector.broadcast(F, cs[b]), a);
                }
                y[r] = a.reduceLanes(VectorOperators.ADD);
            }
        }

        /**
         * The 32 quants at q[at] times the 32 input quants xv: 16-bit products (|q| <= 127 on both
         * sides, so |product| <= 16,129 and two of them fit in 16 bits), adjacent pairs summed into
         * 16 int lanes ((p + (p << 16)) >> 16 on each 32-bit pair), as floats.
         */
        static FloatVector pairSums(byte[] q, int at, ShortVector xv) {
            ShortVector wq = (ShortVector) ByteVector.fromArray(B, q, at).convertShape(VectorOperators.B2S, S, 0);
            IntVector p = wq.mul(xv).reinterpretAsInts();
            return (FloatVector) p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
        }

        /** cs[k * nb + b] = scale of row r + k, block b, times the input's scale of block b (k < n). */
        static void combinedScales(Q8Matrix w, int r, int n, float[] xs, float[] cs) {
            int nb = w.blocksPerRow();
            HalfFloats.toFloat(w.scales, r * nb, n * nb, cs, 0);
            for (int k = 0; k < n; k++) {
                int b = 0;
                for (; b + 16 <= nb; b += 16) {
                    FloatVector.fromArray(F, cs, k * nb + b).mul(FloatVector.fromArray(F, xs, b)).intoArray(cs, k * nb + b);
                }
                for (; b < nb; b++) cs[k * nb + b] *= xs[b];
            }
        }
    }
}
