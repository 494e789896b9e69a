package dev.mixprune.sparse;

import dev.mixprune.quant.QuantizedInput;
import dev.mixprune.tensor.GemmReference;
import dev.mixprune.tensor.Gemv;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Decode product y = W x with a packed N:M weight holding 8-bit values ({@link PackedNMQ8},
 * layout {@link NmTilesQ8}). Per tile vector (L kept values of one window): the L quants widened
 * to float, the L in-group indices decoded from their bit fields (one broadcast, one variable
 * shift, a mask and the lanes' group bases) into columns of the window, the inputs picked from the
 * window's two x vectors with one two-source permute, one FMA. The K vectors of a scale block are
 * summed first and multiplied by the lanes' scales once. Bytes read per kept value: 1 + b/8 + 2/32.
 * Reference: {@link #gemvReference} (dequantized dense expansion, double).
 */
public final class SparseQ8Kernels {
    private SparseQ8Kernels() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Long> LS = VectorSpecies.of(long.class, F.vectorShape());
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4));
    private static final int L = F.length();
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** Slots below which a product runs on the calling thread alone. */
    private static final int SMALL = 1 << 15;

    /** y[0..rows) = W x. */
    public static void gemv(PackedNMQ8 w, float[] x, float[] y) {
        checkGemv(w, x, y);
        NmTilesQ8 t = w.tiles();
        float[] xp = paddedInput(t, x);
        if ((long) w.rows() * w.slotsPerRow() < SMALL || ThreadTeam.insideTask()) gemvGroups(t, xp, y, 0, t.rowGroups);
        else ThreadTeam.shared().forRange(0, t.rowGroups, 8, (lo, hi) -> gemvGroups(t, xp, y, lo, hi));
    }

    /**
     * y[0..rows) = W q(x) for decode: the input quantized to int8 per block of 32 columns first
     * ({@link QuantizedInput}, llama.cpp's rule for the activations of its Q8_0 dot products), so
     * that the layer runs an integer kernel: 2:4 on 512-bit machines {@link SparseQ8IntKernels}
     * (1.9-2x this class's float kernel on AVX-512); every other N:M that {@link ChunkTilesQ8} covers
     * (M = 4, 8, 16 with M / N = 2, 4, 8, whole 32-column blocks), and 2:4 on 256-bit machines,
     * {@link SparseQ8ChunkKernels} (2-2.9x the float kernel under AVX2, 1.4-2.5x on AVX-512; JMH
     * session 10). Other patterns and shapes run the float kernel on the
     * dequantized q(x), so every machine computes the same product. Batched products
     * ({@link SparsePrefill}) keep float inputs.
     */
    public static void gemvQuantizedInput(PackedNMQ8 w, float[] x, float[] y) {
        checkGemv(w, x, y);
        QuantizedInput in = QuantizedInput.of(x, w.cols(), SparseQ8IntKernels.PAD);
        if (SparseQ8IntKernels.supports(w)) SparseQ8IntKernels.gemv(w, in, y);
        else if (SparseQ8ChunkKernels.runsOn(w)) SparseQ8ChunkKernels.gemv(w.chunkTiles(), in, y);
        else gemv(w, in.dequantized(), y);
    }

    /** True when {@link #gemvQuantizedInput} runs an integer kernel for w on this machine. */
    public static boolean integerKernel(PackedNMQ8 w) { return SparseQ8IntKernels.supports(w) || SparseQ8ChunkKernels.runsOn(w); }

    /** Obviously-correct y = W q(x): the dequantized dense weight times the dequantized quantized input, in double. */
    public static void gemvQuantizedInputReference(PackedNMQ8 w, float[] x, float[] y) {
        checkGemv(w, x, y);
        Gemv.reference(w.toDense(), QuantizedInput.of(x, w.cols(), 0).dequantized(), y);
    }

    /** x itself when every window's two-vector load stays inside it, else a zero-padded copy. */
    private static float[] paddedInput(NmTilesQ8 t, float[] x) {
        int need = t.windows == 0 ? 0 : (t.windows - 1) * t.window + 2 * L;
        if (x.length >= need) return x;
        float[] xp = new float[need];
        System.arraycopy(x, 0, xp, 0, t.cols);
        return xp;
    }

    private static void gemvGroups(NmTilesQ8 t, float[] x, float[] y, int g0, int g1) {
        if (!(t.aligned && t.lanes == L && t.vectors == 1)) {
            for (int r = g0 * t.rowsPerGroup; r < Math.min(t.rows, g1 * t.rowsPerGroup); r++) y[r] = rowScalar(t, x, r);
            return;
        }
        Decoder dec = new Decoder(t);
        float[] lanes = new float[L];
        for (int g = g0; g < g1; g++) {
            if (t.bitIndex) groupBits(t, dec, x, g, lanes);
            else groupBytes(t, dec, x, g, lanes);
            for (int rr = 0; rr < t.rowsPerGroup; rr++) {
                int row = g * t.rowsPerGroup + rr;
                if (row >= t.rows) break;
                float s = 0f;
                for (int j = rr * t.perRow, e = j + t.perRow; j < e; j++) s += lanes[j];
                y[row] = s + tail(t, x, row);
            }
        }
    }

    /** Per-kernel constants of one layer: shift/mask of the index fields, group bases, the scale spreading. */
    private static final class Decoder {
        final IntVector shifts, base;
        final int mask, hiShift;
        final boolean twoWords;
        final VectorMask<Float> upperHalf;
        final VectorShuffle<Float> laneRow;
        /** See {@link #splitPick(NmTilesQ8)}; lanes [L/2, L) take their inputs from the window's second x vector. */
        final boolean splitPick;
        final VectorMask<Integer> secondVector;
        final float[] scratch = new float[L];

        Decoder(NmTilesQ8 t) {
            twoWords = t.bitIndex && L * t.indexBits > 32;
            // One word: lane l's field at l * b. Two words: even lanes in the low word, odd lanes in
            // the high word (the bits from (L/2) * b on, moved down), both at (l / 2) * b.
            int[] sh = new int[L];
            for (int l = 0; l < L; l++) sh[l] = !t.bitIndex ? 0 : twoWords ? (l / 2) * t.indexBits : l * t.indexBits;
            hiShift = L / 2 * t.indexBits;
            shifts = IntVector.fromArray(I, sh, 0);
            base = IntVector.fromArray(I, t.groupBase, 0);
            mask = (1 << t.indexBits) - 1;
            boolean[] up = new boolean[L];
            int[] rowOf = new int[L];
            for (int l = 0; l < L; l++) {
                up[l] = l >= t.perRow;
                rowOf[l] = l / t.perRow;
            }
            upperHalf = VectorMask.fromArray(F, up, 0);
            laneRow = VectorShuffle.fromArray(F, rowOf, 0);
            splitPick = splitPick(t);
            boolean[] second = new boolean[L];
            for (int l = L / 2; l < L; l++) second[l] = true;
            secondVector = VectorMask.fromArray(I, second, 0);
        }

        /**
         * True on 8-lane (256-bit) machines when a tile vector's first L/2 lanes read only the
         * window's first L columns and its last L/2 lanes only the next L (2:4: 4 groups of 4
         * columns, 2 kept each, one row per group): the inputs are then picked with two one-vector
         * permutes and a fixed blend instead of a two-vector permute, which AVX2 does not have (C2
         * emulates it): the float 8-bit GEMV 1.10-1.16x faster under {@code -XX:UseAVX=2} (docs/benchmarks.md, session 7).
         * With 16 lanes the two-vector permute is one instruction and 2:4 decode runs the integer kernel.
         */
        static boolean splitPick(NmTilesQ8 t) {
            if (L != 8 || !t.bitIndex || t.rowsPerGroup != 1 || t.vectors != 1 || t.window != 2 * L || t.perRow != L) return false;
            for (int l = 0; l < L; l++) {
                int first = t.groupBase[l], last = t.groupBase[l] + t.m - 1;
                if (l < L / 2 ? last >= L : first < L) return false;
            }
            return true;
        }

        /** The lanes' scales of block b of group g (lane l belongs to row l / perRow of the group). */
        FloatVector scales(NmTilesQ8 t, int g, int b) {
            int at = (g * t.blocksPerRow + b) * t.rowsPerGroup;
            short[] s = t.scales;
            return switch (t.rowsPerGroup) {
                case 1 -> FloatVector.broadcast(F, Float.float16ToFloat(s[at]));
                case 2 -> FloatVector.broadcast(F, Float.float16ToFloat(s[at])).blend(Float.float16ToFloat(s[at + 1]), upperHalf);
                default -> {
                    for (int rr = 0; rr < t.rowsPerGroup; rr++) scratch[rr] = Float.float16ToFloat(s[at + rr]);
                    yield FloatVector.fromArray(F, scratch, 0).rearrange(laneRow);
                }
            };
        }
    }

    private static FloatVector widen(byte[] q, int at) {
        return (FloatVector) ByteVector.fromArray(B, q, at).convertShape(VectorOperators.B2F, F, 0);
    }

    /** The inputs x[c + col[lane]] (col < 2L), from the two x vectors at c. */
    private static FloatVector pick(IntVector col, float[] x, int c) {
        IntVector lo = FloatVector.fromArray(F, x, c).reinterpretAsInts(), hi = FloatVector.fromArray(F, x, c + L).reinterpretAsInts();
        return col.selectFrom(lo, hi).reinterpretAsFloats();
    }

    /**
     * The lane sums of row group g (b-bit indices): per scale block its K windows' products summed,
     * then times the lanes' scales into the running total.
     * <p>
     * The common K (2, 4, 8) have their own methods with the K windows written out: a nested loop
     * over K windows (trip count 2-8, not known to the compiler) made C2 wrap every block in its
     * pre/main/post loop machinery, which cost more than the decoding itself (the 2:4 GEMV ran
     * 1.5x slower). The windows are written out in place, not through a helper returning a
     * vector: when C2 did not inline such a helper (it depends on compilation order and code
     * size), every window returned a boxed vector (an allocation per window, 3x slower).
     * Sums are stored into {@code lanes}, never returned. {@link #blocks4} and {@link #blocks8} differ
     * only in K on purpose: one method taking K measured 10-20 % slower (its inner trip count is no
     * longer a constant C2 can unroll away).
     */
    private static void groupBits(NmTilesQ8 t, Decoder dec, float[] x, int g, float[] lanes) {
        int blocks = switch (t.windowsPerBlock) {
            case 2 -> blocks2(t, dec, x, g, lanes);
            case 4 -> dec.splitPick ? blocks4Split(t, dec, x, g, lanes) : blocks4(t, dec, x, g, lanes);
            case 8 -> blocks8(t, dec, x, g, lanes);
            default -> {
                FloatVector.zero(F).intoArray(lanes, 0);
                yield 0;
            }
        };
        if (blocks * t.windowsPerBlock < t.windows) partialBlocks(t, dec, x, g, blocks, lanes);
    }

    /** Whole blocks of K = 2 windows into lanes; returns the number of blocks done. */
    private static int blocks2(NmTilesQ8 t, Decoder dec, float[] x, int g, float[] lanes) {
        int nw = t.windows, win = t.window, ibv = t.indexBytesPerVector, blocks = nw / 2;
        byte[] q = t.q, idx = t.index;
        IntVector shifts = dec.shifts, base = dec.base;
        int mask = dec.mask, hi = dec.twoWords ? dec.hiShift : 64;
        int vec0 = g * nw, rpg = t.rowsPerGroup, s0 = g * t.blocksPerRow * rpg;
        short[] sc = t.scales;
        VectorMask<Float> upper = dec.upperHalf;
        FloatVector zero = FloatVector.zero(F), total = zero;
        for (int b = 0; b < blocks; b++) {
            int v = vec0 + 2 * b, c = 2 * b * win;
            FloatVector a = widen(q, (v) * L).fma(pick(words((long) LONG_LE.get(idx, (v) * ibv), hi).lanewise(VectorOperators.LSHR, shifts).and(mask).add(base), x, c), zero);
            a = widen(q, (v + 1) * L).fma(pick(words((long) LONG_LE.get(idx, (v + 1) * ibv), hi).lanewise(VectorOperators.LSHR, shifts).and(mask).add(base), x, c + win), a);
            total = a.fma(scales(sc, s0 + b * rpg, rpg, upper, dec, t, g, b), total);
        }
        total.intoArray(lanes, 0);
        return blocks;
    }

    /** Whole pairs of blocks of K = 4 windows into lanes; returns the number of blocks done (even). */
    private static int blocks4(NmTilesQ8 t, Decoder dec, float[] x, int g, float[] lanes) {
        int nw = t.windows, win = t.window, ibv = t.indexBytesPerVector, blocks = nw / 4 / 2 * 2;
        byte[] q = t.q, idx = t.index;
        IntVector shifts = dec.shifts, base = dec.base;
        int mask = dec.mask, hi = dec.twoWords ? dec.hiShift : 64;
        int vec0 = g * nw, rpg = t.rowsPerGroup, s0 = g * t.blocksPerRow * rpg;
        short[] sc = t.scales;
        VectorMask<Float> upper = dec.upperHalf;
        FloatVector zero = FloatVector.zero(F), total0 = zero, total1 = zero;
        for (int b = 0; b < blocks; b += 2) {
            int v0 = vec0 + 4 * b, c0 = 4 * b * win;
            FloatVector a0 = zero, a1 = zero;
            // Blocks b and b + 1 side by side (two chains); the constant trip count lets C2 parse
            // one window of each (within its inlining node budget, which 4 windows written
            // out exceeded) and unroll the loop completely.
            for (int j = 0; j < 4; j++) {
                int v = v0 + j, c = c0 + j * win;
                a0 = widen(q, (v) * L).fma(pick(words((long) LONG_LE.get(idx, (v) * ibv), hi).lanewise(VectorOperators.LSHR, shifts).and(mask).add(base), x, c), a0);
                a1 = widen(q, (v + 4) * L).fma(pick(words((long) LONG_LE.get(idx, (v + 4) * ibv), hi).lanewise(VectorOperators.LSHR, shifts).and(mask).add(base), x, c + 4 * win), a1);
            }
            total0 = a0.fma(scales(sc, s0 + b * rpg, rpg, upper, dec, t, g, b), total0);
            total1 = a1.fma(scales(sc, s0 + (b + 1) * rpg, rpg, upper, dec, t, g, b + 1), total1);
        }
        FloatVector total = total0.add(total1);
        total.intoArray(lanes, 0);
        return blocks;
    }

    /**
     * {@link #blocks4} with the inputs picked by {@link #pickSplit} ({@link Decoder#splitPick}); a copy
     * on purpose, like {@link #blocks4} / {@link #blocks8}: a branch or a pick parameter inside the
     * written-out windows changes how C2 compiles the loop (see {@link #groupBits}).
     */
    private static int blocks4Split(NmTilesQ8 t, Decoder dec, float[] x, int g, float[] lanes) {
        int nw = t.windows, win = t.window, ibv = t.indexBytesPerVector, blocks = nw / 4 / 2 * 2;
        byte[] q = t.q, idx = t.index;
        IntVector shifts = dec.shifts, base = dec.base;
        int mask = dec.mask, hi = dec.twoWords ? dec.hiShift : 64;
        int vec0 = g * nw, rpg = t.rowsPerGroup, s0 = g * t.blocksPerRow * rpg;
        short[] sc = t.scales;
        VectorMask<Float> upper = dec.upperHalf;
        VectorMask<Integer> second = dec.secondVector;
        FloatVector zero = FloatVector.zero(F), total0 = zero, total1 = zero;
        for (int b = 0; b < blocks; b += 2) {
            int v0 = vec0 + 4 * b, c0 = 4 * b * win;
            FloatVector a0 = zero, a1 = zero;
            for (int j = 0; j < 4; j++) {
                int v = v0 + j, c = c0 + j * win;
                a0 = widen(q, (v) * L).fma(pickSplit(words((long) LONG_LE.get(idx, (v) * ibv), hi).lanewise(VectorOperators.LSHR, shifts).and(mask).add(base), second, x, c), a0);
                a1 = widen(q, (v + 4) * L).fma(pickSplit(words((long) LONG_LE.get(idx, (v + 4) * ibv), hi).lanewise(VectorOperators.LSHR, shifts).and(mask).add(base), second, x, c + 4 * win), a1);
            }
            total0 = a0.fma(scales(sc, s0 + b * rpg, rpg, upper, dec, t, g, b), total0);
            total1 = a1.fma(scales(sc, s0 + (b + 1) * rpg, rpg, upper, dec, t, g, b + 1), total1);
        }
        FloatVector total = total0.add(total1);
        total.intoArray(lanes, 0);
        return blocks;
    }

    /**
     * The inputs x[c + col[lane]] when lanes [0, L/2) have col < L and lanes [L/2, L) have
     * col >= L: each half picked from its own x vector with a one-vector permute, then blended.
     */
    private static FloatVector pickSplit(IntVector col, VectorMask<Integer> second, float[] x, int c) {
        IntVector inVector = col.and(L - 1);
        IntVector lo = inVector.selectFrom(FloatVector.fromArray(F, x, c).reinterpretAsInts());
        IntVector hi = inVector.selectFrom(FloatVector.fromArray(F, x, c + L).reinterpretAsInts());
        return lo.blend(hi, second).reinterpretAsFloats();
    }

    /** Whole pairs of blocks of K = 8 windows into lanes; returns the number of blocks done (even). */
    private static int blocks8(NmTilesQ8 t, Decoder dec, float[] x, int g, float[] lanes) {
        int nw = t.windows, win = t.window, ibv = t.indexBytesPerVector, blocks = nw / 8 / 2 * 2;
        byte[] q = t.q, idx = t.index;
        IntVector shifts = dec.shifts, base = dec.base;
        int mask = dec.mask, hi = dec.twoWords ? dec.hiShift : 64;
        int vec0 = g * nw, rpg = t.rowsPerGroup, s0 = g * t.blocksPerRow * rpg;
        short[] sc = t.scales;
        VectorMask<Float> upper = dec.upperHalf;
        FloatVector zero = FloatVector.zero(F), total0 = zero, total1 = zero;
        for (int b = 0; b < blocks; b += 2) {
            int v0 = vec0 + 8 * b, c0 = 8 * b * win;
            FloatVector a0 = zero, a1 = zero;
            // Blocks b and b + 1 side by side (two chains); the constant trip count lets C2 parse
            // one window of each (within its inlining node budget, which 8 windows written
            // out exceeded) and unroll the loop completely.
            for (int j = 0; j < 8; j++) {
                int v = v0 + j, c = c0 + j * win;
                a0 = widen(q, (v) * L).fma(pick(words((long) LONG_LE.get(idx, (v) * ibv), hi).lanewise(VectorOperators.LSHR, shifts).and(mask).add(base), x, c), a0);
                a1 = widen(q, (v + 8) * L).fma(pick(words((long) LONG_LE.get(idx, (v + 8) * ibv), hi).lanewise(VectorOperators.LSHR, shifts).and(mask).add(base), x, c + 8 * win), a1);
            }
            total0 = a0.fma(scales(sc, s0 + b * rpg, rpg, upper, dec, t, g, b), total0);
            total1 = a1.fma(scales(sc, s0 + (b + 1) * rpg, rpg, upper, dec, t, g, b + 1), total1);
        }
        FloatVector total = total0.add(total1);
        total.intoArray(lanes, 0);
        return blocks;
    }

    /**
     * Adds to lanes the blocks from {@code firstBlock} on in a plain loop over windows: every block
     * for K other than 2, 4, 8, else only the last block when it has fewer than K windows.
     */
    private static void partialBlocks(NmTilesQ8 t, Decoder dec, float[] x, int g, int firstBlock, float[] lanes) {
        int nw = t.windows, k = t.windowsPerBlock, win = t.window, ibv = t.indexBytesPerVector;
        byte[] q = t.q, idx = t.index;
        IntVector shifts = dec.shifts, base = dec.base;
        int mask = dec.mask, hi = dec.twoWords ? dec.hiShift : 64;
        FloatVector zero = FloatVector.zero(F), total = FloatVector.fromArray(F, lanes, 0);
        for (int w = firstBlock * k, b = firstBlock, vec = g * nw + w; w < nw; b++) {
            FloatVector a = zero;
            for (int e = Math.min(nw, w + k); w < e; w++, vec++) a = window(q, idx, x, vec, w * win, ibv, hi, shifts, mask, base, a);
            total = a.fma(dec.scales(t, g, b), total);
        }
        total.intoArray(lanes, 0);
    }

    /**
     * The lanes' scales of block b of group g, whose R scales start at {@code at}: written out for
     * R = 1 or 2 rows per group (2:4, 2:8; lanes of the second row in {@code upper}), else
     * {@link Decoder#scales} (1:8 has R = 4 with 16 lanes).
     */
    private static FloatVector scales(short[] sc, int at, int rpg, VectorMask<Float> upper, Decoder dec, NmTilesQ8 t, int g, int b) {
        if (rpg > 2) return dec.scales(t, g, b);
        FloatVector s = FloatVector.broadcast(F, Float.float16ToFloat(sc[at]));
        return rpg == 1 ? s : s.blend(Float.float16ToFloat(sc[at + 1]), upper);
    }

    /** acc + (tile vector vec's quants) * x[c + column of each lane]: decode the b-bit fields, pick, FMA. */
    private static FloatVector window(byte[] q, byte[] idx, float[] x, int vec, int c, int ibv, int hi,
                                      IntVector shifts, int mask, IntVector base, FloatVector acc) {
        IntVector col = words((long) LONG_LE.get(idx, vec * ibv), hi).lanewise(VectorOperators.LSHR, shifts).and(mask).add(base);
        return widen(q, vec * L).fma(pick(col, x, c), acc);
    }

    /**
     * The index bits of one vector over the int lanes: one 32-bit word everywhere ({@code hi} = 64),
     * or the low word in even lanes and the bits from {@code hi} on in odd lanes.
     */
    private static IntVector words(long bits, int hi) {
        if (hi == 64) return IntVector.broadcast(I, (int) bits);
        return LongVector.broadcast(LS, ((bits >>> hi) << 32) | (bits & 0xffffffffL)).reinterpretAsInts();
    }

    /** As {@link #groupBits} with one index byte per lane (the column in the window). */
    private static void groupBytes(NmTilesQ8 t, Decoder dec, float[] x, int g, float[] lanes) {
        int nw = t.windows, k = t.windowsPerBlock, win = t.window;
        byte[] q = t.q, idx = t.index;
        int vec = g * nw;
        FloatVector total = FloatVector.zero(F);
        for (int w = 0, b = 0; w < nw; b++) {
            FloatVector a = FloatVector.zero(F);
            for (int e = Math.min(nw, w + k); w < e; w++, vec++) {
                IntVector col = (IntVector) ByteVector.fromArray(B, idx, vec * L).convertShape(VectorOperators.B2I, I, 0);
                a = widen(q, vec * L).fma(pick(col, x, w * win), a);
            }
            total = a.fma(dec.scales(t, g, b), total);
        }
        total.intoArray(lanes, 0);
    }

    /** A row's tail columns (past the last whole window), each slot with its block's scale. */
    private static float tail(NmTilesQ8 t, float[] x, int row) {
        int tail0 = t.windows * t.window, whole = t.windows * t.perRow;
        float s = 0f;
        for (int k = 0, p = row * t.tailSlots; k < t.tailSlots; k++, p++) {
            s += Float.float16ToFloat(t.scales[t.scaleSlot(row, (whole + k) / 32)]) * t.tailQ[p] * x[tail0 + t.tailIndex[p]];
        }
        return s;
    }

    /** One row in plain loops (layouts the vector kernel does not cover: blocks not on windows, M > 2L). */
    private static float rowScalar(NmTilesQ8 t, float[] x, int row) {
        float s = 0f;
        for (int w = 0; w < t.windows; w++) {
            for (int k = 0; k < t.perRow; k++) {
                int p = t.tilePosition(row, w, k), slot = w * t.perRow + k;
                int col = w * t.window + (k / t.n) * t.m + t.indexAt(p, k);
                s += Float.float16ToFloat(t.scales[t.scaleSlot(row, slot / 32)]) * t.q[p] * x[col];
            }
        }
        return s + tail(t, x, row);
    }

    /** Obviously-correct y = W x over the dequantized dense expansion, in double. */
    public static void gemvReference(PackedNMQ8 w, float[] x, float[] y) {
        checkGemv(w, x, y);
        Gemv.reference(w.toDense(), x, y);
    }

    private static void checkGemv(PackedNMQ8 w, float[] x, float[] y) {
        if (x.length < w.cols() || y.length < w.rows()) {
            throw new IllegalArgumentException("sparse q8 gemv " + w.rows() + "x" + w.cols() + " with x[" + x.length + "], y[" + y.length + "]");
        }
    }

    /** Obviously-correct Y = X W^T over the dequantized dense expansion, in double. */
    public static Matrix gemmReference(Matrix x, PackedNMQ8 w) {
        Matrix out = new Matrix(x.rows(), w.rows());
        GemmReference.nt(x, w.toDense(), out, false);
        return out;
    }
}
