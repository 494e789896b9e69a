package dev.mixprune.prune;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector-API dot product in double (HotSpot does not auto-vectorize floating-point reductions). */
final class DoubleDot {
    private DoubleDot() {}

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    static double dot(double[] a, int aOff, double[] b, int bOff, int len) {
        int i = 0;
        double s = 0;
        if (len >= 2 * S.length()) {
            DoubleVector acc0 = DoubleVector.zero(S), acc1 = DoubleVector.zero(S);
            int step = 2 * S.length();
            for (; i <= len - step; i += step) {
                acc0 = DoubleVector.fromArray(S, a, aOff + i).fma(DoubleVector.fromArray(S, b, bOff + i), acc0);
                acc1 = DoubleVector.fromArray(S, a, aOff + i + S.length()).fma(DoubleVector.fromArray(S, b, bOff + i + S.length()), acc1);
            }
            s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }
        for (; i < len; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** Plain-loop dot (for tests). */
    static double dotNaive(double[] a, int aOff, double[] b, int bOff, int len) {
        double s = 0;
        for (int i = 0; i < len; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }
}
