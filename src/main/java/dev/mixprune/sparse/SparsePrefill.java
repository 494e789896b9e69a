package dev.mixprune.sparse;

import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Prefill product Y [tokens, rows] = X [tokens, cols] * W^T with a packed N:M weight, float
 * ({@link PackedNM}) or 8-bit ({@link PackedNMQ8}) values. Only kept values are multiplied: half
 * the FLOPs of the dense product for 2:4.
 * <p>
 * Tokens go in chunks of up to 4L (64 with AVX-512), X's chunk transposed to [cols][tokens] (off
 * the heap, 64-byte aligned) so that one kept value, broadcast, multiplies 4 token vectors of its
 * input column (4 FMAs, 4 loads from L1, none split across cache lines). Rows are taken in blocks
 * of ~256 KiB of weights, columns in tiles of a few windows whose transposed inputs stay in L1
 * while the block's rows pass over them. Per row group and tile the
 * kept values and their input offsets are first unpacked with vector operations into two small
 * arrays (row by row: float values, quants times scales for 8-bit values; columns times the chunk
 * stride), so the inner loop is nothing but broadcast, load and FMA.
 * References: {@link SparseKernels#gemmReference}, {@link SparseQ8Kernels#gemmReference}.
 */
public final class SparsePrefill {
    private SparsePrefill() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Long> LS = VectorSpecies.of(long.class, F.vectorShape());
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4));
    private static final int L = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Bytes per float vector. */
    private static final long VB = 4L * L;
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** Token vectors per chunk: four accumulators per row. */
    private static final int CHUNK_VECTORS = 4;
    /**
     * Bytes of transposed input one column tile may span (stays in L1). 24 KiB: at 64 tokens three
     * 32-column windows per tile, 48 kept values per row and pass of the accumulators; measured
     * 1.1-1.6x faster 2:4 prefill than 16 KiB (two windows) on a 48 KiB-L1 AVX-512 machine
     * (docs/benchmarks.md, session 8; 32 KiB was as fast there, 64 KiB slower), and it still leaves
     * room in the 32 KiB L1 of other CPUs (not measured on one).
     */
    private static final int TILE_BYTES = 24 << 10;
    /** Bytes of packed weights a block of row groups holds (stays in L2 while the tiles pass). */
    private static final int BLOCK_BYTES = 256 << 10;
    /** Fewer tokens than this go through the GEMV one token at a time. */
    static final int MIN_TOKENS = 4;

    /** The geometry the prefill needs from either tile layout, and how to unpack one group's tile. */
    private sealed interface Source permits FloatSource, QuantSource {
        int rows();
        int window();
        int perRow();
        int rowsPerGroup();
        int vectors();
        int windows();
        int rowGroups();
        int tailSlots();
        int lanes();
        /** Bytes per kept value in memory (for the block size). */
        int slotBytes();
        /** Whether the vector unpacking applies (this machine's lanes, one vector per window and group). */
        boolean vectorUnpack();
        /** Row rr of group g's kept values of window w (its t-th slot at t), and their columns in the window. */
        float value(int g, int rr, int w, int t);
        int column(int g, int rr, int w, int t);
        /** The value and column (relative to the tail's first column) of a row's k-th tail slot. */
        float tailValue(int row, int k);
        int tailColumn(int row, int k);
        /** Vector unpacking of window w of group g: the L values and columns in the window, into the arrays at {@code at}. */
        void unpack(int g, int w, Unpack u, int at);
    }

    /** Per-task scratch: unpacked values and input offsets, per row of the group. */
    private static final class Unpack {
        final float[] vals;
        final int[] cols;
        final float[] laneVals = new float[L];
        final int[] laneCols = new int[L];
        final float[] scratch = new float[L];

        Unpack(int slots) {
            vals = new float[slots];
            cols = new int[slots];
        }
    }

    private record FloatSource(NmTiles t) implements Source {
        public int rows() { return t.rows; }
        public int window() { return t.window; }
        public int perRow() { return t.perRow; }
        public int rowsPerGroup() { return t.rowsPerGroup; }
        public int vectors() { return t.vectors; }
        public int windows() { return t.windows; }
        public int rowGroups() { return t.rowGroups; }
        public int tailSlots() { return t.tailSlots; }
        public int lanes() { return t.lanes; }
        public int slotBytes() { return 5; }
        public boolean vectorUnpack() { return t.lanes == L && t.vectors == 1; }
        public float value(int g, int rr, int w, int k) { return t.values[t.tilePosition(g * t.rowsPerGroup + rr, w, k)]; }
        public int column(int g, int rr, int w, int k) { return t.index[t.tilePosition(g * t.rowsPerGroup + rr, w, k)]; }
        public float tailValue(int row, int k) { return t.tailValues[row * t.tailSlots + k]; }
        public int tailColumn(int row, int k) { return t.tailIndex[row * t.tailSlots + k]; }

        public void unpack(int g, int w, Unpack u, int at) {
            int p = (g * t.windows + w) * L;
            FloatVector.fromArray(F, t.values, p).intoArray(u.laneVals, 0);
            ((IntVector) ByteVector.fromArray(B, t.index, p).convertShape(VectorOperators.B2I, I, 0)).intoArray(u.laneCols, 0);
        }
    }

    private record QuantSource(NmTilesQ8 t, IntVector shifts, IntVector base, int mask, int hiShift, VectorMask<Float> upperHalf) implements Source {
        static QuantSource of(NmTilesQ8 t) {
            boolean two = t.bitIndex && L * t.indexBits > 32;
            int[] sh = new int[L];
            boolean[] up = new boolean[L];
            for (int l = 0; l < L; l++) {
                sh[l] = !t.bitIndex ? 0 : two ? (l / 2) * t.indexBits : l * t.indexBits;
                up[l] = l >= t.perRow;
            }
            int[] base = new int[L];
            if (t.vectors == 1 && t.lanes == L) System.arraycopy(t.groupBase, 0, base, 0, L);
            return new QuantSource(t, IntVector.fromArray(I, sh, 0), IntVector.fromArray(I, base, 0), (1 << t.indexBits) - 1,
                    two ? L / 2 * t.indexBits : 64, VectorMask.fromArray(F, up, 0));
        }

        public int rows() { return t.rows; }
        public int window() { return t.window; }
        public int perRow() { return t.perRow; }
        public int rowsPerGroup() { return t.rowsPerGroup; }
        public int vectors() { return t.vectors; }
        public int windows() { return t.windows; }
        public int rowGroups() { return t.rowGroups; }
        public int tailSlots() { return t.tailSlots; }
        public int lanes() { return t.lanes; }
        public int slotBytes() { return 2; }
        public boolean vectorUnpack() { return t.lanes == L && t.vectors == 1 && t.aligned; }

        private float scale(int row, int slot) { return Float.float16ToFloat(t.scales[t.scaleSlot(row, slot / 32)]); }

        public float value(int g, int rr, int w, int k) {
            int row = g * t.rowsPerGroup + rr;
            return scale(row, w * t.perRow + k) * t.q[t.tilePosition(row, w, k)];
        }

        public int column(int g, int rr, int w, int k) {
            int row = g * t.rowsPerGroup + rr;
            return (k / t.n) * t.m + t.indexAt(t.tilePosition(row, w, k), k);
        }

        public float tailValue(int row, int k) { return scale(row, t.windows * t.perRow + k) * t.tailQ[row * t.tailSlots + k]; }
        public int tailColumn(int row, int k) { return t.tailIndex[row * t.tailSlots + k]; }

        public void unpack(int g, int w, Unpack u, int at) {
            int vec = g * t.windows + w, p = vec * L;
            FloatVector q = (FloatVector) ByteVector.fromArray(B, t.q, p).convertShape(VectorOperators.B2F, F, 0);
            int block = w * t.perRow / 32, sa = (g * t.blocksPerRow + block) * t.rowsPerGroup;
            FloatVector s = switch (t.rowsPerGroup) {
                case 1 -> FloatVector.broadcast(F, Float.float16ToFloat(t.scales[sa]));
                case 2 -> FloatVector.broadcast(F, Float.float16ToFloat(t.scales[sa])).blend(Float.float16ToFloat(t.scales[sa + 1]), upperHalf);
                default -> {
                    for (int l = 0; l < L; l++) u.scratch[l] = Float.float16ToFloat(t.scales[sa + l / t.perRow]);
                    yield FloatVector.fromArray(F, u.scratch, 0);
                }
            };
            q.mul(s).intoArray(u.laneVals, 0);
            IntVector col;
            if (t.bitIndex) {
                long bits = (long) LONG_LE.get(t.index, vec * t.indexBytesPerVector);
                IntVector words = hiShift == 64 ? IntVector.broadcast(I, (int) bits)
                        : LongVector.broadcast(LS, ((bits >>> hiShift) << 32) | (bits & 0xffffffffL)).reinterpretAsInts();
                col = words.lanewise(VectorOperators.LSHR, shifts).and(mask).add(base);
            } else {
                col = (IntVector) ByteVector.fromArray(B, t.index, vec * t.indexBytesPerVector).convertShape(VectorOperators.B2I, I, 0);
            }
            col.intoArray(u.laneCols, 0);
        }
    }

    /** Y = X W^T for float values. */
    public static Matrix gemm(Matrix x, PackedNM w) {
        check(x, w.rows(), w.cols());
        if (x.rows() < MIN_TOKENS) return perToken(x, w.rows(), (xi, yi) -> SparseKernels.gemv(w, xi, yi));
        return run(x, w.cols(), new FloatSource(w.tiles()));
    }

    /** Y = X W^T for 8-bit values. */
    public static Matrix gemm(Matrix x, PackedNMQ8 w) {
        check(x, w.rows(), w.cols());
        if (x.rows() < MIN_TOKENS) return perToken(x, w.rows(), (xi, yi) -> SparseQ8Kernels.gemv(w, xi, yi));
        return run(x, w.cols(), QuantSource.of(w.tiles()));
    }

    private static void check(Matrix x, int rows, int cols) {
        if (x.cols() != cols) throw new IllegalArgumentException("sparse gemm: x " + x.shape() + " vs weight " + rows + "x" + cols);
    }

    private interface Gemv { void apply(float[] x, float[] y); }

    private static Matrix perToken(Matrix x, int rows, Gemv gemv) {
        int cols = x.cols();
        Matrix out = new Matrix(x.rows(), rows);
        float[] xi = new float[cols], yi = new float[rows];
        for (int i = 0; i < x.rows(); i++) {
            System.arraycopy(x.data(), i * cols, xi, 0, cols);
            gemv.apply(xi, yi);
            System.arraycopy(yi, 0, out.data(), i * rows, rows);
        }
        return out;
    }

    private static Matrix run(Matrix x, int cols, Source s) {
        int tokens = x.rows(), rows = s.rows(), chunk = CHUNK_VECTORS * L;
        Matrix out = new Matrix(tokens, rows);
        int groupSlots = s.vectors() * s.windows() * s.lanes();
        int block = Math.max(1, BLOCK_BYTES / Math.max(1, s.slotBytes() * groupSlots));
        int paddedRows = s.rowGroups() * s.rowsPerGroup();
        // The transposed input lives off the heap, 64-byte aligned: a Java array starts wherever the collector put
        // it (8-byte granularity), and when its vectors straddle cache lines every load of the inner loop is a split
        // load. Inner loop alone: 1.2-1.5 against 1.8-2.3 ns per kept value and 64 tokens, aligned against not; whole
        // 5632 x 2048 layer with the blocked transpositions below: 1.2-1.5x (mean of 20 calls, same JVM; session 9).
        // Shared: the team's threads all read it.
        try (Arena arena = Arena.ofShared()) {
            MemorySegment xt = arena.allocate((long) cols * Math.min(chunk, (tokens + L - 1) / L * L) * Float.BYTES, 64);
            for (int i0 = 0; i0 < tokens; i0 += chunk) {
                int n = Math.min(chunk, tokens - i0), tp = (n + L - 1) / L * L;
                transpose(x, i0, n, tp, xt);
                float[] yt = new float[paddedRows * tp];
                ThreadTeam.shared().forRange(0, s.rowGroups(), block, (g0, g1) -> groups(s, xt, tp, yt, g0, g1, block));
                untranspose(yt, tp, rows, i0, n, out.data());
            }
        }
        return out;
    }

    /** Columns at a time in the transpositions: one 64-byte line of the token-major side per step. */
    private static final int TRANSPOSE_BLOCK = 16;

    /**
     * Rows [i0, i0 + n) of x into xt as floats [cols][tp] (tokens past n are zero), 16 columns at a
     * time: a whole line of x per token, writes within 16 columns of xt.
     */
    private static void transpose(Matrix x, int i0, int n, int tp, MemorySegment xt) {
        int k = x.cols();
        float[] d = x.data();
        for (int c0 = 0; c0 < k; c0 += TRANSPOSE_BLOCK) {
            int c1 = Math.min(k, c0 + TRANSPOSE_BLOCK);
            for (int i = 0; i < n; i++) {
                int from = (i0 + i) * k;
                for (int c = c0; c < c1; c++) xt.setAtIndex(ValueLayout.JAVA_FLOAT, (long) c * tp + i, d[from + c]);
            }
            for (int i = n; i < tp; i++) for (int c = c0; c < c1; c++) xt.setAtIndex(ValueLayout.JAVA_FLOAT, (long) c * tp + i, 0f);
        }
    }

    /** out rows [i0, i0 + n) (tokens, {@code rows} wide) from yt [rows][tp], 16 rows at a time (one line of out per token). */
    private static void untranspose(float[] yt, int tp, int rows, int i0, int n, float[] out) {
        for (int r0 = 0; r0 < rows; r0 += TRANSPOSE_BLOCK) {
            int r1 = Math.min(rows, r0 + TRANSPOSE_BLOCK);
            for (int i = 0; i < n; i++) {
                int to = (i0 + i) * rows;
                for (int r = r0; r < r1; r++) out[to + r] = yt[r * tp + i];
            }
        }
    }

    private static void groups(Source s, MemorySegment xt, int tp, float[] yt, int g0, int g1, int block) {
        int win = s.window(), per = s.perRow(), rpg = s.rowsPerGroup();
        int tileWindows = Math.max(1, TILE_BYTES / (4 * win * tp));
        Unpack u = new Unpack(Math.max(rpg * tileWindows * per, s.tailSlots()));
        boolean vector = s.vectorUnpack();
        for (int b0 = g0; b0 < g1; b0 += block) {
            int b1 = Math.min(g1, b0 + block);
            for (int w0 = 0; w0 < s.windows(); w0 += tileWindows) {
                int w1 = Math.min(s.windows(), w0 + tileWindows), slots = (w1 - w0) * per;
                for (int g = b0; g < b1; g++) {
                    if (vector) unpackVector(s, g, w0, w1, tp, u);
                    else unpackScalar(s, g, w0, w1, tp, u);
                    for (int rr = 0; rr < rpg; rr++) {
                        int row = g * rpg + rr;
                        if (row >= s.rows()) break;
                        accumulate(u.vals, u.cols, rr * slots, slots, xt, tp, yt, row * tp);
                    }
                }
            }
        }
        int ts = s.tailSlots();
        if (ts == 0) return;
        int tail0 = s.windows() * win;
        for (int row = g0 * rpg; row < Math.min(s.rows(), g1 * rpg); row++) {
            for (int k = 0; k < ts; k++) {
                u.vals[k] = s.tailValue(row, k);
                u.cols[k] = (tail0 + s.tailColumn(row, k)) * tp;
            }
            accumulate(u.vals, u.cols, 0, ts, xt, tp, yt, row * tp);
        }
    }

    /**
     * Group g's windows [w0, w1) into the scratch, row by row: row rr's slots at
     * [rr * slots, (rr + 1) * slots), slots = (w1 - w0) * perRow; columns as offsets into xt.
     */
    private static void unpackVector(Source s, int g, int w0, int w1, int tp, Unpack u) {
        int per = s.perRow(), rpg = s.rowsPerGroup(), win = s.window(), slots = (w1 - w0) * per;
        IntVector stride = IntVector.broadcast(I, tp);
        for (int w = w0; w < w1; w++) {
            s.unpack(g, w, u, 0);
            FloatVector v = FloatVector.fromArray(F, u.laneVals, 0);
            IntVector c = IntVector.fromArray(I, u.laneCols, 0).add(w * win).mul(stride);
            int at = (w - w0) * per;
            if (rpg == 1) {
                v.intoArray(u.vals, at);
                c.intoArray(u.cols, at);
            } else {
                v.intoArray(u.laneVals, 0);
                c.intoArray(u.laneCols, 0);
                for (int rr = 0; rr < rpg; rr++) {
                    System.arraycopy(u.laneVals, rr * per, u.vals, rr * slots + at, per);
                    System.arraycopy(u.laneCols, rr * per, u.cols, rr * slots + at, per);
                }
            }
        }
    }

    /** The same through the per-slot accessors (any lane count, any layout). */
    private static void unpackScalar(Source s, int g, int w0, int w1, int tp, Unpack u) {
        int per = s.perRow(), rpg = s.rowsPerGroup(), win = s.window(), slots = (w1 - w0) * per;
        for (int rr = 0; rr < rpg; rr++) {
            if (g * rpg + rr >= s.rows()) break;
            for (int w = w0; w < w1; w++) {
                for (int k = 0; k < per; k++) {
                    int i = rr * slots + (w - w0) * per + k;
                    u.vals[i] = s.value(g, rr, w, k);
                    u.cols[i] = (w * win + s.column(g, rr, w, k)) * tp;
                }
            }
        }
    }

    /** yt[at .. at + tp) += sum over slots [s0, s0 + n) of val[s] * xt[col[s] .. + tp) (xt indexed in floats). */
    private static void accumulate(float[] val, int[] col, int s0, int n, MemorySegment xt, int tp, float[] yt, int at) {
        int t0 = 0;
        for (; t0 + 4 * L <= tp; t0 += 4 * L) four(val, col, s0, n, xt, t0, yt, at + t0);
        for (; t0 + 2 * L <= tp; t0 += 2 * L) two(val, col, s0, n, xt, t0, yt, at + t0);
        for (; t0 < tp; t0 += L) one(val, col, s0, n, xt, t0, yt, at + t0);
    }

    private static void four(float[] val, int[] col, int s0, int n, MemorySegment xt, int t0, float[] yt, int at) {
        FloatVector a0 = FloatVector.fromArray(F, yt, at), a1 = FloatVector.fromArray(F, yt, at + L);
        FloatVector a2 = FloatVector.fromArray(F, yt, at + 2 * L), a3 = FloatVector.fromArray(F, yt, at + 3 * L);
        for (int s = s0, e = s0 + n; s < e; s++) {
            FloatVector v = FloatVector.broadcast(F, val[s]);
            long c = 4L * (col[s] + t0);
            a0 = FloatVector.fromMemorySegment(F, xt, c, NATIVE).fma(v, a0);
            a1 = FloatVector.fromMemorySegment(F, xt, c + VB, NATIVE).fma(v, a1);
            a2 = FloatVector.fromMemorySegment(F, xt, c + 2 * VB, NATIVE).fma(v, a2);
            a3 = FloatVector.fromMemorySegment(F, xt, c + 3 * VB, NATIVE).fma(v, a3);
        }
        a0.intoArray(yt, at);
        a1.intoArray(yt, at + L);
        a2.intoArray(yt, at + 2 * L);
        a3.intoArray(yt, at + 3 * L);
    }

    /** Two token vectors; slots alternate between two pairs of accumulators to hide the FMA latency. */
    private static void two(float[] val, int[] col, int s0, int n, MemorySegment xt, int t0, float[] yt, int at) {
        FloatVector a0 = FloatVector.fromArray(F, yt, at), a1 = FloatVector.fromArray(F, yt, at + L);
        FloatVector b0 = FloatVector.zero(F), b1 = b0;
        int s = s0, e = s0 + n;
        for (; s + 1 < e; s += 2) {
            FloatVector v = FloatVector.broadcast(F, val[s]), w = FloatVector.broadcast(F, val[s + 1]);
            int c = col[s] + t0, d = col[s + 1] + t0;
            a0 = FloatVector.fromMemorySegment(F, xt, 4L * c, NATIVE).fma(v, a0);
            a1 = FloatVector.fromMemorySegment(F, xt, 4L * (c + L), NATIVE).fma(v, a1);
            b0 = FloatVector.fromMemorySegment(F, xt, 4L * d, NATIVE).fma(w, b0);
            b1 = FloatVector.fromMemorySegment(F, xt, 4L * (d + L), NATIVE).fma(w, b1);
        }
        if (s < e) {
            FloatVector v = FloatVector.broadcast(F, val[s]);
            a0 = FloatVector.fromMemorySegment(F, xt, 4L * (col[s] + t0), NATIVE).fma(v, a0);
            a1 = FloatVector.fromMemorySegment(F, xt, 4L * (col[s] + t0 + L), NATIVE).fma(v, a1);
        }
        a0.add(b0).intoArray(yt, at);
        a1.add(b1).intoArray(yt, at + L);
    }

    /** One token vector; slots spread over four accumulators. */
    private static void one(float[] val, int[] col, int s0, int n, MemorySegment xt, int t0, float[] yt, int at) {
        FloatVector a0 = FloatVector.fromArray(F, yt, at), a1 = FloatVector.zero(F), a2 = a1, a3 = a1;
        int s = s0, e = s0 + n;
        for (; s + 3 < e; s += 4) {
            a0 = FloatVector.fromMemorySegment(F, xt, 4L * (col[s] + t0), NATIVE).fma(FloatVector.broadcast(F, val[s]), a0);
            a1 = FloatVector.fromMemorySegment(F, xt, 4L * (col[s + 1] + t0), NATIVE).fma(FloatVector.broadcast(F, val[s + 1]), a1);
            a2 = FloatVector.fromMemorySegment(F, xt, 4L * (col[s + 2] + t0), NATIVE).fma(FloatVector.broadcast(F, val[s + 2]), a2);
            a3 = FloatVector.fromMemorySegment(F, xt, 4L * (col[s + 3] + t0), NATIVE).fma(FloatVector.broadcast(F, val[s + 3]), a3);
        }
        for (; s < e; s++) a0 = FloatVector.fromMemorySegment(F, xt, 4L * (col[s] + t0), NATIVE).fma(FloatVector.broadcast(F, val[s]), a0);
        a0.add(a1).add(a2.add(a3)).intoArray(yt, at);
    }
}
