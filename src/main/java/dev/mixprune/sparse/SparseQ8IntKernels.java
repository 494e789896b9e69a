package dev.mixprune.sparse;

import dev.mixprune.quant.HalfFloats;
import dev.mixprune.quant.QuantizedInput;
import dev.mixprune.tensor.ThreadTeam;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Decode product y = W x of a 2:4 weight with 8-bit values ({@link PackedNMQ8}) against an input
 * quantized to int8 ({@link QuantizedInput}, blocks of 32 columns, as llama.cpp quantizes the
 * activations of its Q8_0 dot product), in integer arithmetic: no int8 -> float conversion per
 * kept weight. AVX-512 only (the 16-lane tile layout of {@link NmTilesQ8}; 512-bit short lanes and
 * the two-source short permute need AVX512BW); {@link #supports} says when. 2:4 only: this class
 * also ran 2:8 until session 10, when {@link SparseQ8ChunkKernels} (16-column chunks, byte
 * shuffles on 256-bit vectors) measured 1.15-1.2x faster for 2:8 on AVX-512 too, and 0.9-1.0x
 * for 2:4.
 * <p>
 * Per scale block of a row (32 kept values = two 32-column windows = 64 columns, which are 32
 * contiguous quants and 64 contiguous index bits of the tiles): the 32 quants widened to shorts; the
 * 32 two-bit in-group indices put in their short lanes (lane l's field is at bit 2l of the 64 bits:
 * broadcast, one permute that gives lane l the 16-bit word l / 8, a variable shift by 2 (l mod 8),
 * a mask, plus the lane's group base 4 (l / 2)); the 32 input quants picked from the 64 columns with
 * one two-source permute; one 16-bit multiply (|product| <= 127 * 127, so two products still fit
 * in 16 bits); adjacent pairs summed into 16 int lanes ((p + (p << 16)) >> 16 on each 32-bit pair);
 * converted to float and multiplied by the per-lane input scale (lanes 0-7 hold columns 0-31, lanes
 * 8-15 columns 32-63) and the block's weight scale. A float accumulator per row, reduced once.
 * Reference: {@link SparseQ8Kernels#gemvQuantizedInputReference} (the dequantized weight times the
 * dequantized input, double).
 */
final class SparseQ8IntKernels {
    private SparseQ8IntKernels() {}

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
    private static final VectorSpecies<Long> LS = LongVector.SPECIES_512;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int SMALL = 1 << 15;

    /**
     * True when {@link #gemv} runs {@code w}: the preferred vector is 512 bits, and the weight is 2:4
     * (one row per tile, two windows per scale block) in the 16-lane tile layout.
     */
    static boolean supports(PackedNMQ8 w) {
        NmTilesQ8 t = w.tiles();
        return FloatVector.SPECIES_PREFERRED.length() == 16 && t.lanes == 16 && t.bitIndex && is24(t);
    }

    private static boolean is24(NmTilesQ8 t) {
        return t.n == 2 && t.m == 4 && t.indexBits == 2 && t.rowsPerGroup == 1 && t.windowsPerBlock == 2;
    }

    /** y[0..rows) = W q(x), the input already quantized ({@link #supports} must hold). */
    static void gemv(PackedNMQ8 w, QuantizedInput in, float[] y) {
        if (!supports(w)) throw new IllegalArgumentException("integer q8 gemv supports 2:4 with 16 lanes, not " + w);
        if (in.cols() != w.cols() || in.q().length < (w.cols() + 31) / 32 * 32 + PAD || y.length < w.rows()) {
            throw new IllegalArgumentException("sparse q8 int gemv " + w.rows() + "x" + w.cols() + " with an input of " + in.cols() + " columns, y[" + y.length + "]");
        }
        NmTilesQ8 t = w.tiles();
        float[] laneScales = laneScales(in, t.windows / 2);
        float[] xd = t.windows % 2 != 0 || t.tailSlots > 0 ? in.dequantized() : null;
        boolean inline = (long) w.rows() * w.slotsPerRow() < SMALL || ThreadTeam.insideTask();
        if (inline) rows(t, in, laneScales, xd, y, 0, t.rows);
        else ThreadTeam.shared().forRange(0, t.rows, 8, (lo, hi) -> rows(t, in, laneScales, xd, y, lo, hi));
    }

    /** Zero columns the quantized input needs past its last block (the last 64-column block's second load). */
    static final int PAD = 64;

    /** Per 64-column block: 16 floats, lanes 0-7 the scale of columns 0-31, lanes 8-15 of columns 32-63. */
    private static float[] laneScales(QuantizedInput in, int blocks) {
        float[] s = new float[blocks * 16];
        for (int b = 0; b < blocks; b++) {
            java.util.Arrays.fill(s, 16 * b, 16 * b + 8, in.scale()[2 * b]);
            java.util.Arrays.fill(s, 16 * b + 8, 16 * b + 16, in.scale()[2 * b + 1]);
        }
        return s;
    }

    private static final VectorShuffle<Short> WORD_OF_LANE;
    private static final ShortVector SHIFTS, BASE;

    static {
        int[] word = new int[32];
        short[] shift = new short[32], base = new short[32];
        for (int l = 0; l < 32; l++) {
            word[l] = l / 8;
            shift[l] = (short) (2 * (l % 8));
            base[l] = (short) (4 * (l / 2));
        }
        WORD_OF_LANE = VectorShuffle.fromArray(S, word, 0);
        SHIFTS = ShortVector.fromArray(S, shift, 0);
        BASE = ShortVector.fromArray(S, base, 0);
    }

    private static void rows(NmTilesQ8 t, QuantizedInput in, float[] laneScales, float[] xd, float[] y, int r0, int r1) {
        int nw = t.windows, blocks = nw / 2;
        byte[] q = t.q, idx = t.index;
        short[] xq = in.q();
        int bpr = t.blocksPerRow;
        float[] ws = new float[bpr];
        for (int r = r0; r < r1; r++) {
            int vec0 = r * nw;
            HalfFloats.toFloat(t.scales, r * bpr, bpr, ws, 0);
            FloatVector total = FloatVector.zero(F);
            for (int b = 0; b < blocks; b++) {
                int v = vec0 + 2 * b, c = 64 * b;
                ShortVector wq = (ShortVector) ByteVector.fromArray(B, q, v * 16).convertShape(VectorOperators.B2S, S, 0);
                ShortVector col = LongVector.broadcast(LS, (long) LONG_LE.get(idx, v * 4)).reinterpretAsShorts()
                        .rearrange(WORD_OF_LANE).lanewise(VectorOperators.LSHR, SHIFTS).and((short) 3).or(BASE);
                ShortVector xv = col.selectFrom(ShortVector.fromArray(S, xq, c), ShortVector.fromArray(S, xq, c + 32));
                IntVector p = wq.mul(xv).reinterpretAsInts();
                IntVector pairs = p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                FloatVector f = (FloatVector) pairs.convert(VectorOperators.I2F, 0);
                total = f.mul(FloatVector.fromArray(F, laneScales, 16 * b)).fma(FloatVector.broadcast(F, ws[b]), total);
            }
            float s = total.reduceLanes(VectorOperators.ADD);
            if (xd != null) s += rest(t, xd, r, blocks);
            y[r] = s;
        }
    }

    /** The odd last window and the tail of row r, in float on the dequantized input (scalar). */
    private static float rest(NmTilesQ8 t, float[] xd, int row, int pairs) {
        float s = 0f;
        for (int w = 2 * pairs; w < t.windows; w++) {
            for (int k = 0; k < t.perRow; k++) {
                int p = t.tilePosition(row, w, k), slot = w * t.perRow + k;
                int col = w * t.window + (k / t.n) * t.m + t.indexAt(p, k);
                s += Float.float16ToFloat(t.scales[t.scaleSlot(row, slot / 32)]) * t.q[p] * xd[col];
            }
        }
        int tail0 = t.windows * t.window, whole = t.windows * t.perRow;
        for (int k = 0, p = row * t.tailSlots; k < t.tailSlots; k++, p++) {
            s += Float.float16ToFloat(t.scales[t.scaleSlot(row, (whole + k) / 32)]) * t.tailQ[p] * xd[tail0 + t.tailIndex[p]];
        }
        return s;
    }
}
