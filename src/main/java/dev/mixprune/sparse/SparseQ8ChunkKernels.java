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

/**
 * Decode product y = W q(x) of an N:M weight with 8-bit values in integer arithmetic on 256-bit
 * vectors, for AVX2 machines, on the {@link ChunkTilesQ8} layout (its javadoc has the geometry).
 * The 512-bit kernel ({@link SparseQ8IntKernels}) needs AVX512BW's 16-bit variable shifts and
 * two-source 16-bit permutes; this one uses only operations AVX2 has, each of which C2 compiles
 * to one or two instructions there: 64-bit variable shifts, byte masks, the 128-bit byte
 * shuffle, byte-to-short widening of 16 bytes, 16-bit multiplies, 32-bit shifts and adds.
 * <p>
 * Per row group (R = M / N rows) and 32-column input block (two 16-column chunks, 32 kept values,
 * the input's quants as bytes): the 32 shuffle controls decoded from the index longs; per chunk
 * its 16 input bytes picked with one shuffle, widened to shorts, multiplied by the chunk's 16
 * quants widened to shorts; the two chunks' products added in 16 bits (each a single product,
 * |p| <= 127 * 127, so the sum fits); adjacent pairs summed into 8 int lanes (sign-extended
 * halves added, since a pair of such sums can exceed 16 bits); converted to float, times the
 * input block's scale and the lanes' row scales, into a float accumulator. Int lane l holds row
 * l R / 8 of the group. Reference: {@link SparseQ8Kernels#gemvQuantizedInputReference}.
 * <p>
 * Under {@code -XX:UseAVX=2} on one 5632 x 2048 layer it runs 1.9-2.0x the float 8-bit kernel for
 * 2:4 and 2:8 (docs/benchmarks.md, session 10). It works on any machine with 256-bit vectors
 * (AVX-512 ones too: the tests run it everywhere); {@link SparseQ8Kernels#gemvQuantizedInput}
 * sends it the layers of 256-bit machines.
 */
final class SparseQ8ChunkKernels {
    private SparseQ8ChunkKernels() {}

    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Long> LS = LongVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    /** Groups below which a product runs on the calling thread alone. */
    private static final int SMALL_SLOTS = 1 << 15;
    /** Long lanes (0, 0, 1, 1): two index longs spread over four 64-bit lanes. */
    private static final VectorShuffle<Long> DUPLICATE = VectorShuffle.fromValues(LS, 0, 0, 1, 1);

    /** True when this machine sends w to this kernel: 256-bit preferred vectors and a layout {@link ChunkTilesQ8} covers. */
    static boolean runsOn(PackedNMQ8 w) {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() == 256 && ChunkTilesQ8.supports(w.rows(), w.cols(), w.n(), w.m());
    }

    /** Per-layout constants: shifts of the four 64-bit lanes, the field mask, the per-byte column bases, lane-to-row shuffle. */
    private record Decoder(LongVector shifts, byte mask, ByteVector base, VectorShuffle<Float> laneRow) {
        static Decoder of(ChunkTilesQ8 t) {
            long[] sh = t.longsPerPair == 1 ? new long[]{0, 2, 4, 6} : new long[]{0, 4, 0, 4};
            byte[] base = new byte[32];
            if (t.m == 4) for (int j = 0; j < 32; j++) base[j] = (byte) (4 * ((j % t.perRowChunk) / t.n));
            int[] row = new int[8];
            for (int l = 0; l < 8; l++) row[l] = l * t.rowsPerGroup / 8;
            return new Decoder(LongVector.fromArray(LS, sh, 0), (byte) (t.m == 4 ? 3 : 15), ByteVector.fromArray(B32, base, 0), VectorShuffle.fromArray(F, row, 0));
        }
    }

    /** y[0..rows) = W q(x), the input already quantized (its columns must equal the weight's). */
    static void gemv(ChunkTilesQ8 t, QuantizedInput in, float[] y) {
        if (in.cols() != t.cols || y.length < t.rows) {
            throw new IllegalArgumentException("sparse q8 chunk gemv " + t.rows + "x" + t.cols + " with an input of " + in.cols() + " columns, y[" + y.length + "]");
        }
        byte[] xb = new byte[t.cols];
        short[] xq = in.q();
        for (int c = 0; c < t.cols; c++) xb[c] = (byte) xq[c];
        Decoder dec = Decoder.of(t);
        if ((long) t.groups * t.chunks * 16 < SMALL_SLOTS || ThreadTeam.insideTask()) groups(t, dec, xb, in.scale(), y, 0, t.groups);
        else ThreadTeam.shared().forRange(0, t.groups, 8, (lo, hi) -> groups(t, dec, xb, in.scale(), y, lo, hi));
    }

    private static void groups(ChunkTilesQ8 t, Decoder dec, byte[] xb, float[] xs, float[] y, int g0, int g1) {
        int pairs = t.chunks / 2, rpg = t.rowsPerGroup, kp = t.perRowChunk, lp = t.longsPerPair, bpr = t.blocksPerRow;
        int blockShift = Integer.numberOfTrailingZeros(rpg); // input block b lies in weight block b / R
        byte[] q = t.q;
        long[] idx = t.index;
        LongVector shifts = dec.shifts();
        ByteVector base = dec.base();
        byte mask = dec.mask();
        VectorShuffle<Float> laneRow = dec.laneRow();
        float[] ws = new float[rpg * bpr + 8];
        float[] lanes = new float[8];
        for (int g = g0; g < g1; g++) {
            HalfFloats.toFloat(t.scales, g * bpr * rpg, bpr * rpg, ws, 0);
            FloatVector total = FloatVector.zero(F);
            for (int b = 0; b < pairs; b++) {
                int qo = (g * t.chunks + 2 * b) * 16, io = (g * pairs + b) * lp;
                LongVector bits = lp == 1 ? LongVector.broadcast(LS, idx[io])
                        : ((LongVector) LongVector.fromArray(LongVector.SPECIES_128, idx, io).reinterpretShape(LS, 0)).rearrange(DUPLICATE);
                ByteVector ctrl = bits.lanewise(VectorOperators.LSHR, shifts).reinterpretAsBytes().and(mask).or(base);
                ByteVector ca = (ByteVector) ctrl.reinterpretShape(B16, 0), cb = (ByteVector) ctrl.reinterpretShape(B16, 1);
                ShortVector pa = ((ShortVector) ca.selectFrom(ByteVector.fromArray(B16, xb, 32 * b)).convertShape(VectorOperators.B2S, S, 0))
                        .mul((ShortVector) ByteVector.fromArray(B16, q, qo).convertShape(VectorOperators.B2S, S, 0));
                ShortVector pb = ((ShortVector) cb.selectFrom(ByteVector.fromArray(B16, xb, 32 * b + 16)).convertShape(VectorOperators.B2S, S, 0))
                        .mul((ShortVector) ByteVector.fromArray(B16, q, qo + 16).convertShape(VectorOperators.B2S, S, 0));
                IntVector s = pa.add(pb).reinterpretAsInts();
                IntVector sums = s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(s.lanewise(VectorOperators.ASHR, 16));
                FloatVector scale = FloatVector.fromArray(F, ws, (b >> blockShift) * rpg).rearrange(laneRow).mul(xs[b]);
                total = ((FloatVector) sums.convert(VectorOperators.I2F, 0)).fma(scale, total);
            }
            total.intoArray(lanes, 0);
            int perRow = kp / 2;
            for (int i = 0; i < rpg; i++) {
                int r = g * rpg + i;
                if (r >= t.rows) break;
                float s = 0f;
                for (int l = i * perRow; l < (i + 1) * perRow; l++) s += lanes[l];
                y[r] = s;
            }
        }
    }
}
