package dev.mixprune.sparse;

import dev.mixprune.quant.QuantizedInput;
import dev.mixprune.tensor.KernelInfo;
import dev.mixprune.tensor.Matrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Experiments behind issue 16's one-thread 2:4 decode (session 7): restructurings of the integer
 * 2:4 GEMV ({@link SparseQ8IntKernels}) timed side by side with the shipped kernel on many distinct
 * layers (so the weights stream from memory as in a decode step), each checked against
 * {@link SparseQ8Kernels#gemvQuantizedInputReference} first; two ablations (index decode removed,
 * float epilogue removed: wrong results, timing only) show where the kernel's time goes; and a
 * 256-bit integer variant (16 short lanes, for AVX2 machines) against the float 8-bit kernel.
 * A development tool, not a test (no @Test): run from the test classpath,
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes
 * dev.mixprune.sparse.IntGemvVariantsBench [ROWS COLS LAYERS]} (default 5632 2048 16), threads
 * from {@code -Dmixprune.threads} (use 1); add {@code -XX:UseAVX=2} to emulate an AVX2 machine's
 * instruction set (the 512-bit variants are then skipped).
 */
public final class IntGemvVariantsBench {
    private IntGemvVariantsBench() {}

    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** The 512-bit variants (need AVX512BW: 16-bit permutes and shifts). */
    static final class Wide {
        static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
        static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
        static final VectorSpecies<Long> LS = LongVector.SPECIES_512;
        static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
        static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
        static final VectorShuffle<Short> WORD_OF_LANE;
        static final ShortVector SHIFTS, BASE, SHIFTS_NO_PERM;
        static final VectorMask<Integer> ODD;

        static {
            int[] word = new int[32];
            short[] shift = new short[32], base = new short[32], noPerm = new short[32];
            for (int l = 0; l < 32; l++) {
                word[l] = l / 8;
                shift[l] = (short) (2 * (l % 8));
                base[l] = (short) (4 * (l / 2));
                noPerm[l] = (short) (2 * (l / 4));
            }
            WORD_OF_LANE = VectorShuffle.fromArray(S, word, 0);
            SHIFTS = ShortVector.fromArray(S, shift, 0);
            BASE = ShortVector.fromArray(S, base, 0);
            SHIFTS_NO_PERM = ShortVector.fromArray(S, noPerm, 0);
            boolean[] odd = new boolean[16];
            for (int j = 0; j < 16; j++) odd[j] = j % 2 == 1;
            ODD = VectorMask.fromArray(I, odd, 0);
        }

        /** The shipped kernel's loop, one row and one scale block (64 columns) per iteration. */
        static void shipped(NmTilesQ8 t, short[] xq, float[] ls, float[] y) {
            int nw = t.windows, blocks = nw / 2, bpr = t.blocksPerRow;
            byte[] q = t.q, idx = t.index;
            short[] sc = t.scales;
            for (int r = 0; r < t.rows; r++) {
                int vec0 = r * nw, s0 = r * bpr;
                FloatVector total = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    int v = vec0 + 2 * b, c = 64 * b;
                    ShortVector wq = (ShortVector) ByteVector.fromArray(B, q, v * 16).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector col = LongVector.broadcast(LS, (long) LONG_LE.get(idx, v * 4)).reinterpretAsShorts()
                            .rearrange(WORD_OF_LANE).lanewise(VectorOperators.LSHR, SHIFTS).and((short) 3).or(BASE);
                    IntVector p = wq.mul(col.selectFrom(ShortVector.fromArray(S, xq, c), ShortVector.fromArray(S, xq, c + 32))).reinterpretAsInts();
                    IntVector pairs = p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    total = ((FloatVector) pairs.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ls, 16 * b).mul(Float.float16ToFloat(sc[s0 + b])), total);
                }
                y[r] = total.reduceLanes(VectorOperators.ADD);
            }
        }

        /** Index bits re-laid per block so that short lane l's field is at bit 16 (l % 4) + 2 (l / 4): no word permute. */
        static long[] noPermLayout(NmTilesQ8 t) {
            int blocks = t.windows / 2;
            long[] out = new long[t.rows * blocks];
            for (int r = 0; r < t.rows; r++) {
                for (int b = 0; b < blocks; b++) {
                    long bits = 0;
                    for (int l = 0; l < 32; l++) {
                        long f = t.indexAt((r * t.windows + 2 * b + l / 16) * 16 + l % 16, l % 16);
                        bits |= f << (16 * (l % 4) + 2 * (l / 4));
                    }
                    out[r * blocks + b] = bits;
                }
            }
            return out;
        }

        static void noPerm(NmTilesQ8 t, long[] bitsOf, short[] xq, float[] ls, float[] y) {
            int nw = t.windows, blocks = nw / 2, bpr = t.blocksPerRow;
            byte[] q = t.q;
            short[] sc = t.scales;
            for (int r = 0; r < t.rows; r++) {
                int vec0 = r * nw, s0 = r * bpr, i0 = r * blocks;
                FloatVector total = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    int v = vec0 + 2 * b, c = 64 * b;
                    ShortVector wq = (ShortVector) ByteVector.fromArray(B, q, v * 16).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector col = LongVector.broadcast(LS, bitsOf[i0 + b]).reinterpretAsShorts().lanewise(VectorOperators.LSHR, SHIFTS_NO_PERM).and((short) 3).or(BASE);
                    IntVector p = wq.mul(col.selectFrom(ShortVector.fromArray(S, xq, c), ShortVector.fromArray(S, xq, c + 32))).reinterpretAsInts();
                    IntVector pairs = p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    total = ((FloatVector) pairs.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ls, 16 * b).mul(Float.float16ToFloat(sc[s0 + b])), total);
                }
                y[r] = total.reduceLanes(VectorOperators.ADD);
            }
        }

        /** Two rows per pass sharing the input loads and the lane scales (rows must be even). */
        static void twoRows(NmTilesQ8 t, short[] xq, float[] ls, float[] y) {
            int nw = t.windows, blocks = nw / 2, bpr = t.blocksPerRow;
            byte[] q = t.q, idx = t.index;
            short[] sc = t.scales;
            for (int r = 0; r + 2 <= t.rows; r += 2) {
                int vec0 = r * nw, s0 = r * bpr;
                FloatVector t0 = FloatVector.zero(F), t1 = t0;
                for (int b = 0; b < blocks; b++) {
                    int v = vec0 + 2 * b, c = 64 * b;
                    ShortVector x0 = ShortVector.fromArray(S, xq, c), x1 = ShortVector.fromArray(S, xq, c + 32);
                    FloatVector lsv = FloatVector.fromArray(F, ls, 16 * b);
                    ShortVector wq = (ShortVector) ByteVector.fromArray(B, q, v * 16).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector col = LongVector.broadcast(LS, (long) LONG_LE.get(idx, v * 4)).reinterpretAsShorts()
                            .rearrange(WORD_OF_LANE).lanewise(VectorOperators.LSHR, SHIFTS).and((short) 3).or(BASE);
                    IntVector p = wq.mul(col.selectFrom(x0, x1)).reinterpretAsInts();
                    IntVector pairs = p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    t0 = ((FloatVector) pairs.convert(VectorOperators.I2F, 0)).fma(lsv.mul(Float.float16ToFloat(sc[s0 + b])), t0);
                    ShortVector wq1 = (ShortVector) ByteVector.fromArray(B, q, (v + nw) * 16).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector col1 = LongVector.broadcast(LS, (long) LONG_LE.get(idx, (v + nw) * 4)).reinterpretAsShorts()
                            .rearrange(WORD_OF_LANE).lanewise(VectorOperators.LSHR, SHIFTS).and((short) 3).or(BASE);
                    IntVector p1 = wq1.mul(col1.selectFrom(x0, x1)).reinterpretAsInts();
                    IntVector pairs1 = p1.add(p1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    t1 = ((FloatVector) pairs1.convert(VectorOperators.I2F, 0)).fma(lsv.mul(Float.float16ToFloat(sc[s0 + bpr + b])), t1);
                }
                y[r] = t0.reduceLanes(VectorOperators.ADD);
                y[r + 1] = t1.reduceLanes(VectorOperators.ADD);
            }
        }

        /** Two blocks per iteration into two accumulators (blocks per row must be even). */
        static void twoBlocks(NmTilesQ8 t, short[] xq, float[] ls, float[] y) {
            int nw = t.windows, blocks = nw / 2, bpr = t.blocksPerRow;
            byte[] q = t.q, idx = t.index;
            short[] sc = t.scales;
            for (int r = 0; r < t.rows; r++) {
                int vec0 = r * nw, s0 = r * bpr;
                FloatVector t0 = FloatVector.zero(F), t1 = t0;
                for (int b = 0; b + 2 <= blocks; b += 2) {
                    int v = vec0 + 2 * b, c = 64 * b;
                    ShortVector wq = (ShortVector) ByteVector.fromArray(B, q, v * 16).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector col = LongVector.broadcast(LS, (long) LONG_LE.get(idx, v * 4)).reinterpretAsShorts()
                            .rearrange(WORD_OF_LANE).lanewise(VectorOperators.LSHR, SHIFTS).and((short) 3).or(BASE);
                    IntVector p = wq.mul(col.selectFrom(ShortVector.fromArray(S, xq, c), ShortVector.fromArray(S, xq, c + 32))).reinterpretAsInts();
                    IntVector pairs = p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    t0 = ((FloatVector) pairs.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ls, 16 * b).mul(Float.float16ToFloat(sc[s0 + b])), t0);
                    ShortVector wq1 = (ShortVector) ByteVector.fromArray(B, q, (v + 2) * 16).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector col1 = LongVector.broadcast(LS, (long) LONG_LE.get(idx, (v + 2) * 4)).reinterpretAsShorts()
                            .rearrange(WORD_OF_LANE).lanewise(VectorOperators.LSHR, SHIFTS).and((short) 3).or(BASE);
                    IntVector p1 = wq1.mul(col1.selectFrom(ShortVector.fromArray(S, xq, c + 64), ShortVector.fromArray(S, xq, c + 96))).reinterpretAsInts();
                    IntVector pairs1 = p1.add(p1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    t1 = ((FloatVector) pairs1.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ls, 16 * b + 16).mul(Float.float16ToFloat(sc[s0 + b + 1])), t1);
                }
                y[r] = t0.add(t1).reduceLanes(VectorOperators.ADD);
            }
        }

        /** Per pair of blocks (b even): lane 2k the input scale of block 2b + k/4, lane 2k+1 of block 2b + 2 + k/4. */
        static float[] pairedLaneScales(QuantizedInput in, int blocks) {
            float[] s = new float[(blocks + 1) / 2 * 16];
            for (int b = 0; b + 2 <= blocks; b += 2) {
                for (int k = 0; k < 8; k++) {
                    s[8 * b + 2 * k] = in.scale()[2 * b + k / 4];
                    s[8 * b + 2 * k + 1] = in.scale()[2 * b + 2 + k / 4];
                }
            }
            return s;
        }

        /**
         * Two blocks' sums in one float vector: the 16 pair sums of each block summed once more
         * in 64-bit lanes (block b's into the low, block b+1's into the high 32 bits), blended, so
         * the conversion, the scale multiply and the FMA run once per two blocks. The row's F16
         * weight scales are converted to float with vectors once per row, two per long.
         */
        static void pairedBlocks(NmTilesQ8 t, short[] xq, float[] ls2, float[] y) {
            int nw = t.windows, blocks = nw / 2, bpr = t.blocksPerRow;
            byte[] q = t.q, idx = t.index;
            short[] sc = t.scales;
            long[] ws = new long[(bpr + 1) / 2];
            for (int r = 0; r < t.rows; r++) {
                int vec0 = r * nw, s0 = r * bpr;
                FloatVector total = FloatVector.zero(F);
                halfPairs(sc, s0, bpr, ws);
                for (int b = 0; b + 2 <= blocks; b += 2) {
                    int v = vec0 + 2 * b, c = 64 * b;
                    ShortVector wq = (ShortVector) ByteVector.fromArray(B, q, v * 16).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector col = LongVector.broadcast(LS, (long) LONG_LE.get(idx, v * 4)).reinterpretAsShorts()
                            .rearrange(WORD_OF_LANE).lanewise(VectorOperators.LSHR, SHIFTS).and((short) 3).or(BASE);
                    IntVector p = wq.mul(col.selectFrom(ShortVector.fromArray(S, xq, c), ShortVector.fromArray(S, xq, c + 32))).reinterpretAsInts();
                    LongVector x0 = p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).reinterpretAsLongs();
                    ShortVector wq1 = (ShortVector) ByteVector.fromArray(B, q, (v + 2) * 16).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector col1 = LongVector.broadcast(LS, (long) LONG_LE.get(idx, (v + 2) * 4)).reinterpretAsShorts()
                            .rearrange(WORD_OF_LANE).lanewise(VectorOperators.LSHR, SHIFTS).and((short) 3).or(BASE);
                    IntVector p1 = wq1.mul(col1.selectFrom(ShortVector.fromArray(S, xq, c + 64), ShortVector.fromArray(S, xq, c + 96))).reinterpretAsInts();
                    LongVector x1 = p1.add(p1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).reinterpretAsLongs();
                    IntVector lo = x0.add(x0.lanewise(VectorOperators.LSHR, 32)).reinterpretAsInts();
                    IntVector hi = x1.add(x1.lanewise(VectorOperators.LSHL, 32)).reinterpretAsInts();
                    FloatVector f = (FloatVector) lo.blend(hi, ODD).convert(VectorOperators.I2F, 0);
                    total = f.fma(FloatVector.fromArray(F, ls2, 8 * b).mul(LongVector.broadcast(LS, ws[b / 2]).reinterpretAsFloats()), total);
                }
                y[r] = total.reduceLanes(VectorOperators.ADD);
            }
        }

        /** F16 scales to float bits, two per long (even block in the low half); exact for finite values. */
        static void halfPairs(short[] sc, int from, int n, long[] out) {
            int j = 0;
            for (; j + 16 <= n; j += 16) {
                IntVector h = (IntVector) ShortVector.fromArray(ShortVector.SPECIES_256, sc, from + j).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                FloatVector mag = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
                mag.reinterpretAsInts().or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsLongs().intoArray(out, j / 2);
            }
            for (; j < n; j += 2) {
                long lo = Float.floatToRawIntBits(Float.float16ToFloat(sc[from + j])) & 0xffffffffL;
                long hi = j + 1 < n ? (long) Float.floatToRawIntBits(Float.float16ToFloat(sc[from + j + 1])) << 32 : 0L;
                out[j / 2] = lo | hi;
            }
        }

        /** Ablation (wrong result): the shipped loop with every lane's column a constant (no index decode). */
        static void withoutIndexDecode(NmTilesQ8 t, short[] xq, float[] ls, float[] y) {
            int nw = t.windows, blocks = nw / 2, bpr = t.blocksPerRow;
            byte[] q = t.q;
            short[] sc = t.scales;
            for (int r = 0; r < t.rows; r++) {
                int vec0 = r * nw, s0 = r * bpr;
                FloatVector total = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    int v = vec0 + 2 * b, c = 64 * b;
                    ShortVector wq = (ShortVector) ByteVector.fromArray(B, q, v * 16).convertShape(VectorOperators.B2S, S, 0);
                    IntVector p = wq.mul(BASE.selectFrom(ShortVector.fromArray(S, xq, c), ShortVector.fromArray(S, xq, c + 32))).reinterpretAsInts();
                    IntVector pairs = p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    total = ((FloatVector) pairs.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, ls, 16 * b).mul(Float.float16ToFloat(sc[s0 + b])), total);
                }
                y[r] = total.reduceLanes(VectorOperators.ADD);
            }
        }

        /** Ablation (wrong result): the shipped loop summing the integer pair sums (no conversion, scales or FMA). */
        static void withoutFloatEpilogue(NmTilesQ8 t, short[] xq, float[] y) {
            int nw = t.windows, blocks = nw / 2;
            byte[] q = t.q, idx = t.index;
            for (int r = 0; r < t.rows; r++) {
                int vec0 = r * nw;
                IntVector total = IntVector.zero(I);
                for (int b = 0; b < blocks; b++) {
                    int v = vec0 + 2 * b, c = 64 * b;
                    ShortVector wq = (ShortVector) ByteVector.fromArray(B, q, v * 16).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector col = LongVector.broadcast(LS, (long) LONG_LE.get(idx, v * 4)).reinterpretAsShorts()
                            .rearrange(WORD_OF_LANE).lanewise(VectorOperators.LSHR, SHIFTS).and((short) 3).or(BASE);
                    IntVector p = wq.mul(col.selectFrom(ShortVector.fromArray(S, xq, c), ShortVector.fromArray(S, xq, c + 32))).reinterpretAsInts();
                    total = total.add(p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16));
                }
                y[r] = total.reduceLanes(VectorOperators.ADD);
            }
        }
    }

    /**
     * A 256-bit integer 2:4 GEMV (16 short lanes: what an AVX2 machine's registers hold), on its own
     * index layout: per row and 32 columns (16 kept values, in canonical order) one int in which
     * short lane l's field sits at bit 16 (l % 2) + 2 (l / 2). It needs 16-bit variable shifts and a
     * two-source 16-bit permute, which AVX2 does not have (AVX512BW does).
     */
    static final class Narrow {
        static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
        static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
        static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
        static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
        static final ShortVector SHIFTS, BASE;

        static {
            short[] s = new short[16], b = new short[16];
            for (int l = 0; l < 16; l++) {
                s[l] = (short) (2 * (l / 2));
                b[l] = (short) (4 * (l / 2));
            }
            SHIFTS = ShortVector.fromArray(S, s, 0);
            BASE = ShortVector.fromArray(S, b, 0);
        }

        static int[] words(PackedNMQ8 w) {
            byte[] idx = w.index();
            int spr = w.slotsPerRow(), halves = w.cols() / 32;
            int[] out = new int[w.rows() * halves];
            for (int r = 0; r < w.rows(); r++) {
                for (int h = 0; h < halves; h++) {
                    int word = 0;
                    for (int l = 0; l < 16; l++) word |= (idx[r * spr + 16 * h + l] & 3) << (16 * (l % 2) + 2 * (l / 2));
                    out[r * halves + h] = word;
                }
            }
            return out;
        }

        /** q: canonical quants [rows][slotsPerRow]; sc: canonical F16 scales [rows][blocksPerRow]. */
        static void gemv(PackedNMQ8 w, byte[] q, int[] words, short[] sc, short[] xq, float[] xs, float[] y) {
            int halves = w.cols() / 32, spr = w.slotsPerRow(), bpr = w.blocksPerRow();
            for (int r = 0; r < w.rows(); r++) {
                FloatVector total = FloatVector.zero(F);
                for (int h = 0; h < halves; h++) {
                    ShortVector wq = (ShortVector) ByteVector.fromArray(B, q, r * spr + 16 * h).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector col = IntVector.broadcast(I, words[r * halves + h]).reinterpretAsShorts().lanewise(VectorOperators.LSHR, SHIFTS).and((short) 3).or(BASE);
                    IntVector p = wq.mul(col.selectFrom(ShortVector.fromArray(S, xq, 32 * h), ShortVector.fromArray(S, xq, 32 * h + 16))).reinterpretAsInts();
                    IntVector pairs = p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    total = ((FloatVector) pairs.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, xs[h] * Float.float16ToFloat(sc[r * bpr + h / 2])), total);
                }
                y[r] = total.reduceLanes(VectorOperators.ADD);
            }
        }
    }

    /**
     * A float 8-bit 2:4 layout for 8-lane (256-bit) machines, prototype: rows in pairs, per 8-column
     * chunk one vector whose lanes 0-3 hold the first row's 4 kept values of those columns and lanes
     * 4-7 the second row's, so each vector's inputs come from ONE x vector (single-source permute,
     * {@code vpermd} on AVX2) and the two rows share the x load; the shipped float kernel's 16-column
     * windows need a two-source permute, which AVX2 lacks (C2 emulates it). Scales as floats per row
     * pair and block of 32 kept values. Rows must be even, columns a multiple of 64.
     */
    static final class RowPairs {
        static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
        static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
        static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
        static final IntVector SHIFTS, BASE;
        static final VectorMask<Float> SECOND_ROW = VectorMask.fromLong(F, 0xf0L);

        static {
            int[] s = new int[8], b = new int[8];
            for (int l = 0; l < 8; l++) {
                s[l] = 2 * l;
                b[l] = 4 * ((l % 4) / 2);
            }
            SHIFTS = IntVector.fromArray(I, s, 0);
            BASE = IntVector.fromArray(I, b, 0);
        }

        record Layout(int rows, int cols, byte[] q, short[] index, float[] scale) {}

        static Layout of(PackedNMQ8 w) {
            int rows = w.rows(), cols = w.cols(), chunks = cols / 8, spr = w.slotsPerRow(), bpr = w.blocksPerRow(), pairs = rows / 2;
            byte[] cq = w.quants(), ci = w.index();
            short[] cs = w.scales();
            byte[] q = new byte[pairs * chunks * 8];
            short[] index = new short[pairs * chunks];
            float[] scale = new float[pairs * bpr * 2];
            for (int p = 0; p < pairs; p++) {
                for (int j = 0; j < chunks; j++) {
                    int bits = 0;
                    for (int l = 0; l < 8; l++) {
                        int r = 2 * p + l / 4, slot = 4 * j + l % 4;
                        q[(p * chunks + j) * 8 + l] = cq[r * spr + slot];
                        bits |= (ci[r * spr + slot] & 3) << (2 * l);
                    }
                    index[p * chunks + j] = (short) bits;
                }
                for (int b = 0; b < bpr; b++) {
                    scale[(p * bpr + b) * 2] = Float.float16ToFloat(cs[2 * p * bpr + b]);
                    scale[(p * bpr + b) * 2 + 1] = Float.float16ToFloat(cs[(2 * p + 1) * bpr + b]);
                }
            }
            return new Layout(rows, cols, q, index, scale);
        }

        static void gemv(Layout t, float[] x, float[] y) {
            int chunks = t.cols() / 8, blocks = chunks / 8;
            byte[] q = t.q();
            short[] index = t.index();
            float[] sc = t.scale();
            for (int p = 0; p < t.rows() / 2; p++) {
                FloatVector total = FloatVector.zero(F);
                int c0 = p * chunks;
                for (int b = 0; b < blocks; b++) {
                    FloatVector acc = FloatVector.zero(F);
                    for (int k = 0; k < 8; k++) {
                        int j = 8 * b + k, ch = c0 + j;
                        IntVector col = IntVector.broadcast(I, index[ch]).lanewise(VectorOperators.LSHR, SHIFTS).and(3).add(BASE);
                        FloatVector xv = col.selectFrom(FloatVector.fromArray(F, x, 8 * j).reinterpretAsInts()).reinterpretAsFloats();
                        acc = ((FloatVector) ByteVector.fromArray(B, q, ch * 8).convertShape(VectorOperators.B2F, F, 0)).fma(xv, acc);
                    }
                    int s = (p * blocks + b) * 2;
                    total = acc.fma(FloatVector.broadcast(F, sc[s]).blend(sc[s + 1], SECOND_ROW), total);
                }
                y[2 * p] = total.reduceLanes(VectorOperators.ADD, SECOND_ROW.not());
                y[2 * p + 1] = total.reduceLanes(VectorOperators.ADD, SECOND_ROW);
            }
        }
    }

    private record Variant(String name, boolean exact, Runnable sweep, float[] out) {}

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 5632;
        int cols = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        int layers = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        if (rows % 2 != 0 || cols % 128 != 0) throw new IllegalArgumentException("rows must be even and cols a multiple of 128");
        System.out.println("# " + KernelInfo.describe());
        SplittableRandom rnd = new SplittableRandom(16);
        PackedNMQ8[] w = new PackedNMQ8[layers];
        for (int l = 0; l < layers; l++) {
            Matrix d = new Matrix(rows, cols);
            float[] dd = d.data();
            for (int i = 0; i < dd.length; i++) dd[i] = (float) rnd.nextGaussian();
            for (int i = 0; i < dd.length; i += 4) {
                int z1 = rnd.nextInt(4), z2 = (z1 + 1 + rnd.nextInt(3)) % 4;
                dd[i + z1] = 0f;
                dd[i + z2] = 0f;
            }
            w[l] = PackedNMQ8.quantize(PackedNM.pack(d, 2, 4));
        }
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) rnd.nextGaussian();
        QuantizedInput in = QuantizedInput.of(x, cols, SparseQ8IntKernels.PAD);
        short[] xq = in.q();
        float[] xd = in.dequantized();
        float[] ref = new float[rows];
        SparseQ8Kernels.gemvQuantizedInputReference(w[layers - 1], x, ref); // every sweep leaves the last layer's product

        List<Variant> variants = new ArrayList<>();
        float[] yFloat = new float[rows];
        variants.add(new Variant("float 8-bit kernel (dequantized input)", true, () -> { for (PackedNMQ8 p : w) SparseQ8Kernels.gemv(p, xd, yFloat); }, yFloat));
        byte[][] cq = new byte[layers][];
        short[][] cs = new short[layers][];
        int[][] words = new int[layers][];
        for (int l = 0; l < layers; l++) {
            cq[l] = w[l].quants();
            cs[l] = w[l].scales();
            words[l] = Narrow.words(w[l]);
        }
        float[] yNarrow = new float[rows];
        variants.add(new Variant("integer 256-bit (16 short lanes)", true, () -> { for (int l = 0; l < layers; l++) Narrow.gemv(w[l], cq[l], words[l], cs[l], xq, in.scale(), yNarrow); }, yNarrow));
        if (cols % 64 == 0) {
            RowPairs.Layout[] pairs = new RowPairs.Layout[layers];
            for (int l = 0; l < layers; l++) pairs[l] = RowPairs.of(w[l]);
            float[] yPairs = new float[rows];
            variants.add(new Variant("float 256-bit, row pairs, one-vector windows", true, () -> { for (RowPairs.Layout t : pairs) RowPairs.gemv(t, xd, yPairs); }, yPairs));
        }
        if (SparseQ8IntKernels.supports(w[0])) {
            NmTilesQ8[] t = new NmTilesQ8[layers];
            long[][] noPermBits = new long[layers][];
            for (int l = 0; l < layers; l++) {
                t[l] = w[l].tiles();
                noPermBits[l] = Wide.noPermLayout(t[l]);
            }
            float[] ls = new float[cols / 64 * 16];
            for (int b = 0; b < cols / 64; b++) {
                Arrays.fill(ls, 16 * b, 16 * b + 8, in.scale()[2 * b]);
                Arrays.fill(ls, 16 * b + 8, 16 * b + 16, in.scale()[2 * b + 1]);
            }
            float[] ls2 = Wide.pairedLaneScales(in, cols / 64);
            float[] y0 = new float[rows], y1 = new float[rows], y2 = new float[rows], y3 = new float[rows], y4 = new float[rows], y5 = new float[rows];
            variants.add(new Variant("shipped integer 512-bit (SparseQ8IntKernels.gemv)", true, () -> { for (PackedNMQ8 p : w) SparseQ8IntKernels.gemv(p, in, y0); }, y0));
            float[] yq = new float[rows];
            variants.add(new Variant("the same, input quantized on every call", true, () -> { for (PackedNMQ8 p : w) SparseQ8Kernels.gemvQuantizedInput(p, x, yq); }, yq));
            variants.add(new Variant("its loop, copied here", true, () -> { for (NmTilesQ8 tt : t) Wide.shipped(tt, xq, ls, y1); }, y1));
            variants.add(new Variant("index bits without the word permute", true, () -> { for (int l = 0; l < layers; l++) Wide.noPerm(t[l], noPermBits[l], xq, ls, y2); }, y2));
            variants.add(new Variant("two rows per pass", true, () -> { for (NmTilesQ8 tt : t) Wide.twoRows(tt, xq, ls, y3); }, y3));
            variants.add(new Variant("two blocks per pass, two accumulators", true, () -> { for (NmTilesQ8 tt : t) Wide.twoBlocks(tt, xq, ls, y4); }, y4));
            variants.add(new Variant("two blocks per float epilogue", true, () -> { for (NmTilesQ8 tt : t) Wide.pairedBlocks(tt, xq, ls2, y5); }, y5));
            float[] ya = new float[rows], yb = new float[rows];
            variants.add(new Variant("ablation: no index decode (wrong result)", false, () -> { for (NmTilesQ8 tt : t) Wide.withoutIndexDecode(tt, xq, ls, ya); }, ya));
            variants.add(new Variant("ablation: no float epilogue (wrong result)", false, () -> { for (NmTilesQ8 tt : t) Wide.withoutFloatEpilogue(tt, xq, yb); }, yb));
        }
        double scale = 0;
        for (float v : ref) scale = Math.max(scale, Math.abs(v));
        for (Variant v : variants) {
            v.sweep().run();
            if (!v.exact()) continue;
            double err = 0;
            for (int r = 0; r < rows; r++) err = Math.max(err, Math.abs(v.out()[r] - ref[r]));
            if (err > 1e-4 * scale) throw new AssertionError(v.name() + ": max error " + err + " against the reference (max |y| " + scale + ")");
        }
        double[] best = new double[variants.size()];
        Arrays.fill(best, Double.MAX_VALUE);
        for (int rep = 0; rep < 60; rep++) {
            for (int k = 0; k < variants.size(); k++) {
                long t0 = System.nanoTime();
                variants.get(k).sweep().run();
                best[k] = Math.min(best[k], (System.nanoTime() - t0) / 1e6 / layers);
            }
        }
        System.out.printf(Locale.ROOT, "# %d distinct 2:4 8-bit layers %dx%d, per-layer GEMV ms, best of 60 sweeps interleaved; results checked against the reference first%n", layers, rows, cols);
        for (int k = 0; k < variants.size(); k++) {
            System.out.printf(Locale.ROOT, "%-52s %8.3f  %5.2fx the first row%n", variants.get(k).name(), best[k], best[0] / best[k]);
        }
    }
}
