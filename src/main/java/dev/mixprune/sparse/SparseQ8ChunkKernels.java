package dev.mixprune.sparse;

import dev.mixprune.quant.QuantizedInput;
import dev.mixprune.tensor.ThreadTeam;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decode product y = W q(x) of an N:M weight with 8-bit values in integer arithmetic on 256-bit
 * vectors, for AVX2 machines, on the {@link ChunkTilesQ8} layout (its javadoc has the geometry).
 * The 512-bit kernel ({@link SparseQ8IntKernels}) needs AVX512BW's 16-bit variable shifts and
 * two-source 16-bit permutes; this one uses only operations AVX2 has, each of which C2 compiles
 * to one or two instructions there: 16-bit shifts by a constant, the 128-bit byte shuffle (its
 * indices wrapped to 4 bits), byte-to-short widening of 16 bytes, 16-bit multiplies, 32-bit
 * shifts and adds.
 * <p>
 * Per row group (R = M / N rows) and 32-column input block (two 16-column chunks, 32 kept values,
 * the input's quants as bytes): the two chunks' shuffle controls are the group's 16 index bytes as
 * loaded and shifted right by 4 (the shuffle keeps an index's low 4 bits); per chunk its 16 input
 * bytes picked with one shuffle, widened to shorts, multiplied by the chunk's 16 quants widened to
 * shorts; the two chunks' products added in 16 bits (each a single product, |p| <= 127 * 127, so
 * the sum fits); adjacent pairs summed into 8 int lanes (sign-extended halves added, since a pair
 * of such sums can exceed 16 bits); converted to float, times the input block's scale and the
 * lanes' row scales, into a float accumulator. Int lane l holds row l R / 8 of the group.
 * Reference: {@link SparseQ8Kernels#gemvQuantizedInputReference}.
 * <p>
 * One 5632 x 2048 layer, one thread, same JVM (session 10): under {@code -XX:UseAVX=2} 0.42 ms for
 * 2:4 and 0.20-0.21 ms for 2:8, against 0.61-0.64 and 0.31-0.33 for the same kernel decoding 2-bit / 3-bit
 * fields with a 64-bit shift, a mask and an add, and about 1.2 and 0.68 for the float kernel. On
 * AVX-512 it beats the float kernel for every pattern it covers (1:8 0.12 against 0.31 ms, 4:8 0.45-0.56
 * against 0.83-0.99) and the 512-bit integer kernel for 2:8 (0.23-0.31 against 0.27-0.36), not for 2:4
 * (0.46-0.52 against 0.44-0.45), which stays there ({@link #runsOn}).
 */
final class SparseQ8ChunkKernels {
    private SparseQ8ChunkKernels() {}

    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    /** Kept values below which a product runs on the calling thread alone. */
    private static final int SMALL_SLOTS = 1 << 15;

    /**
     * True when decode sends w here: vectors of at least 256 bits and a layout {@link ChunkTilesQ8}
     * covers, unless the 512-bit 2:4 kernel takes it ({@link SparseQ8IntKernels#supports}).
     */
    static boolean runsOn(PackedNMQ8 w) {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256 && ChunkTilesQ8.supports(w.rows(), w.cols(), w.n(), w.m())
                && !SparseQ8IntKernels.supports(w);
    }

    /** Float lane l belongs to row l R / 8 of its group. */
    private static VectorShuffle<Float> laneRow(ChunkTilesQ8 t) {
        int[] row = new int[8];
        for (int l = 0; l < 8; l++) row[l] = l * t.rowsPerGroup / 8;
        return VectorShuffle.fromArray(F, row, 0);
    }

    /** y[0..rows) = W q(x), the input already quantized (its columns must equal the weight's). */
    static void gemv(ChunkTilesQ8 t, QuantizedInput in, float[] y) {
        if (in.cols() != t.cols || y.length < t.rows) {
            throw new IllegalArgumentException("sparse q8 chunk gemv " + t.rows + "x" + t.cols + " with an input of " + in.cols() + " columns, y[" + y.length + "]");
        }
        byte[] xb = new byte[t.cols];
        short[] xq = in.q();
        for (int c = 0; c < t.cols; c++) xb[c] = (byte) xq[c];
        VectorShuffle<Float> laneRow = laneRow(t);
        if ((long) t.groups * t.chunks * 16 < SMALL_SLOTS || ThreadTeam.insideTask()) groups(t, laneRow, xb, in.scale(), y, 0, t.groups);
        else ThreadTeam.shared().forRange(0, t.groups, 8, (lo, hi) -> groups(t, laneRow, xb, in.scale(), y, lo, hi));
    }

    private static void groups(ChunkTilesQ8 t, VectorShuffle<Float> laneRow, byte[] xb, float[] xs, float[] y, int g0, int g1) {
        float[] laneScales = new float[8 * t.blocksPerRow];
        float[] lanes = new float[8];
        int rpg = t.rowsPerGroup, perRow = t.perRowChunk / 2;
        for (int g = g0; g < g1; g++) {
            spreadScales(t, laneRow, g, laneScales);
            group(t, xb, xs, laneScales, g, lanes);
            for (int i = 0; i < rpg; i++) {
                int r = g * rpg + i;
                if (r >= t.rows) break;
                float s = 0f;
                for (int l = i * perRow; l < (i + 1) * perRow; l++) s += lanes[l];
                y[r] = s;
            }
        }
    }

    /** Per block of group g the 8 lanes' row scales (lane l: row l R / 8), so the loop loads them with one load. */
    private static void spreadScales(ChunkTilesQ8 t, VectorShuffle<Float> laneRow, int g, float[] out) {
        int bpr = t.blocksPerRow, rpg = t.rowsPerGroup;
        for (int b = 0; b < bpr; b++) FloatVector.fromArray(F, t.scales, (g * bpr + b) * rpg).rearrange(laneRow).intoArray(out, 8 * b);
    }

    /** The lane sums of group g into lanes. */
    private static void group(ChunkTilesQ8 t, byte[] xb, float[] xs, float[] laneScales, int g, float[] lanes) {
        int pairs = t.chunks / 2, blockShift = Integer.numberOfTrailingZeros(t.rowsPerGroup); // input block b lies in weight block b / R
        byte[] q = t.q, idx = t.index;
        FloatVector total = FloatVector.zero(F);
        for (int b = 0; b < pairs; b++) {
            int qo = (g * pairs + b) * 32;
            // The controls: low nibbles as loaded, high nibbles shifted down; selectFrom keeps the low 4 bits.
            ByteVector ca = ByteVector.fromArray(B16, idx, qo / 2);
            ByteVector cb = ca.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes();
            ShortVector pa = ((ShortVector) ca.selectFrom(ByteVector.fromArray(B16, xb, 32 * b)).convertShape(VectorOperators.B2S, S, 0))
                    .mul((ShortVector) ByteVector.fromArray(B16, q, qo).convertShape(VectorOperators.B2S, S, 0));
            ShortVector pb = ((ShortVector) cb.selectFrom(ByteVector.fromArray(B16, xb, 32 * b + 16)).convertShape(VectorOperators.B2S, S, 0))
                    .mul((ShortVector) ByteVector.fromArray(B16, q, qo + 16).convertShape(VectorOperators.B2S, S, 0));
            IntVector s = pa.add(pb).reinterpretAsInts();
            IntVector sums = s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(s.lanewise(VectorOperators.ASHR, 16));
            FloatVector scale = FloatVector.fromArray(F, laneScales, 8 * (b >> blockShift)).mul(xs[b]);
            total = ((FloatVector) sums.convert(VectorOperators.I2F, 0)).fma(scale, total);
        }
        total.intoArray(lanes, 0);
    }
}
