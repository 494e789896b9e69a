package dev.mixprune.allocate;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Zeroes the weights of one row that a {@link dev.mixprune.prune.Selection.Cut} takes, with the
 * Vector API: score |w| (magnitude) or |w| * norm (Wanda) widened to double exactly as the scalar
 * code does, then {@code score < t}, or {@code score == t} in the columns below {@code tieEnd}.
 * A level drops weights unpredictably, so the scalar loop mispredicts a branch per weight; here the
 * choice is a lane mask. Element-wise only (no reductions), so the result is the scalar one, bit for
 * bit, in every JIT tier. Loaded only when the Vector API module is present.
 */
final class CutKernel {
    private CutKernel() {}

    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    /** As many float lanes as double lanes: F2D of part 0 widens every lane. */
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(DS.vectorBitSize() / 2));

    /** @param norm null for magnitude, else Wanda's sqrt(scaler_row) per column (length >= cols) */
    static void zeroTaken(float[] d, int off, int cols, double[] norm, double t, int tieEnd) {
        int n = FS.length(), c = 0;
        for (; c + n <= cols; c += n) {
            FloatVector x = FloatVector.fromArray(FS, d, off + c);
            DoubleVector s = (DoubleVector) x.abs().convertShape(VectorOperators.F2D, DS, 0);
            if (norm != null) s = s.mul(DoubleVector.fromArray(DS, norm, c));
            VectorMask<Double> take = s.lt(t);
            if (c < tieEnd) take = take.or(s.eq(t).and(DS.indexInRange(c, tieEnd)));
            if (take.anyTrue()) x.blend(0f, take.cast(FS)).intoArray(d, off + c);
        }
        for (; c < cols; c++) {
            float x = d[off + c];
            double s = norm == null ? Math.abs(x) : Math.abs(x) * norm[c];
            if (s < t || (s == t && c < tieEnd)) d[off + c] = 0f;
        }
    }
}
