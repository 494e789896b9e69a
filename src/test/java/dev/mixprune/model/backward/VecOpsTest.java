package dev.mixprune.model.backward;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Vector API dot/axpy against the naive loops, for every length around the vector width and at odd offsets. */
class VecOpsTest {
    @Property(tries = 200)
    void dotAndAxpyEqualNaive(@ForAll @IntRange(min = 0, max = 70) int n, @ForAll @IntRange(min = 0, max = 5) int ao,
                              @ForAll @IntRange(min = 0, max = 5) int bo, @ForAll long seed) {
        Random r = new Random(seed);
        double[] a = new double[n + ao], b = new double[n + bo];
        for (int i = 0; i < a.length; i++) a[i] = r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = r.nextGaussian();
        double want = VecOps.Naive.dot(a, ao, b, bo, n);
        assertThat(VecOps.dot(a, ao, b, bo, n)).isCloseTo(want, org.assertj.core.api.Assertions.within(1e-12 * (1 + n)));
        double alpha = r.nextGaussian();
        double[] y1 = b.clone(), y2 = b.clone();
        VecOps.axpy(alpha, a, ao, y1, bo, n);
        VecOps.Naive.axpy(alpha, a, ao, y2, bo, n);
        for (int i = 0; i < y1.length; i++) assertThat(y1[i]).isCloseTo(y2[i], org.assertj.core.api.Assertions.within(1e-14 * (1 + Math.abs(y2[i]))));
    }
}
