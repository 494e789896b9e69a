package dev.mixprune.model.backward;

import dev.mixprune.tensor.LaneMath;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API dot product and axpy over double arrays with offsets (the attention kernels run along
 * key positions, which are contiguous in the transposed K/V layout). Naive twins in {@link Naive}.
 */
public final class VecOps {
    private VecOps() {}

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    /** sum_i a[ao+i] * b[bo+i] for i < n. */
    public static double dot(double[] a, int ao, double[] b, int bo, int n) {
        int i = 0;
        double sum = 0;
        int upper = S.loopBound(n);
        if (upper > 0) {
            DoubleVector acc0 = DoubleVector.zero(S), acc1 = DoubleVector.zero(S);
            int step = S.length();
            for (; i + step < upper; i += 2 * step) {
                acc0 = DoubleVector.fromArray(S, a, ao + i).fma(DoubleVector.fromArray(S, b, bo + i), acc0);
                acc1 = DoubleVector.fromArray(S, a, ao + i + step).fma(DoubleVector.fromArray(S, b, bo + i + step), acc1);
            }
            for (; i < upper; i += step) {
                acc0 = DoubleVector.fromArray(S, a, ao + i).fma(DoubleVector.fromArray(S, b, bo + i), acc0);
            }
            sum = LaneMath.sum(acc0.add(acc1));
        }
        for (; i < n; i++) sum += a[ao + i] * b[bo + i];
        return sum;
    }

    /** y[yo+i] += alpha * x[xo+i] for i < n. */
    public static void axpy(double alpha, double[] x, int xo, double[] y, int yo, int n) {
        int i = 0;
        int upper = S.loopBound(n);
        if (upper > 0) {
            DoubleVector va = DoubleVector.broadcast(S, alpha);
            for (; i < upper; i += S.length()) {
                DoubleVector.fromArray(S, x, xo + i).fma(va, DoubleVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /** Reference versions. */
    public static final class Naive {
        private Naive() {}

        public static double dot(double[] a, int ao, double[] b, int bo, int n) {
            double s = 0;
            for (int i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
            return s;
        }

        public static void axpy(double alpha, double[] x, int xo, double[] y, int yo, int n) {
            for (int i = 0; i < n; i++) y[yo + i] += alpha * x[xo + i];
        }
    }
}
