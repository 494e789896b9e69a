package dev.mixprune.tensor;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class VectorOpsTest {

    static final int[] LENS = {0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 65, 127, 129, 1000, 4099};

    static float[] random(int n, SplittableRandom r, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return a;
    }

    static void assertClose(float[] fast, float[] ref, double rel, double abs, String what) {
        for (int i = 0; i < ref.length; i++) {
            double tol = abs + rel * Math.abs(ref[i]);
            if (!(Math.abs(fast[i] - ref[i]) <= tol)) {
                throw new AssertionError(what + " index " + i + " fast=" + fast[i] + " ref=" + ref[i]);
            }
        }
    }

    @Test
    void dotMatchesReference() {
        SplittableRandom r = new SplittableRandom(1);
        for (int n : LENS) {
            float[] a = random(n + 5, r, 1), b = random(n + 9, r, 1);
            float fast = VectorOps.dot(a, 3, b, 7, n);
            float ref = VectorOpsReference.dot(a, 3, b, 7, n);
            double bound = 0;
            for (int i = 0; i < n; i++) bound += Math.abs(a[3 + i] * b[7 + i]);
            assertThat((double) fast).as("dot n=" + n).isCloseTo(ref, within(2.0 * (n + 2) * Math.ulp(1f) * bound + 1e-30));
        }
        assertThat(VectorOps.dot(new float[]{1, 2, 3}, new float[]{4, 5, 6})).isEqualTo(32f);
    }

    @Test
    void axpyAndScaleMatchReference() {
        SplittableRandom r = new SplittableRandom(2);
        for (int n : LENS) {
            float[] x = random(n + 2, r, 1), y = random(n + 4, r, 1);
            float[] y2 = y.clone();
            VectorOps.axpy(0.37f, x, 2, y, 4, n);
            VectorOpsReference.axpy(0.37f, x, 2, y2, 4, n);
            assertClose(y, y2, 1e-6, 1e-7, "axpy n=" + n);
            float[] a = random(n + 1, r, 3), a2 = a.clone();
            VectorOps.scale(a, 1, n, -1.7f);
            VectorOpsReference.scale(a2, 1, n, -1.7f);
            assertThat(a).containsExactly(a2);
        }
    }

    @Test
    void rmsnormMatchesReference() {
        SplittableRandom r = new SplittableRandom(3);
        for (int n : LENS) {
            if (n == 0) continue;
            float[] x = random(n + 3, r, 5), g = random(n, r, 2);
            float[] out = new float[n + 1], ref = new float[n + 1];
            VectorOps.rmsnorm(out, 1, x, 3, g, n, 1e-5f);
            VectorOpsReference.rmsnorm(ref, 1, x, 3, g, n, 1e-5f);
            assertClose(out, ref, 1e-5, 1e-6, "rmsnorm n=" + n);
            // in place (out == x) over whole arrays
            float[] xi = random(n, r, 1), gi = random(n, r, 1);
            float[] refi = new float[n];
            VectorOpsReference.rmsnorm(refi, 0, xi, 0, gi, n, 1e-6f);
            VectorOps.rmsnorm(xi, xi, gi, 1e-6f);
            assertClose(xi, refi, 1e-5, 1e-6, "rmsnorm in place n=" + n);
        }
    }

    @Test
    void rmsnormFormula() {
        // y = g * x / sqrt(mean(x^2) + eps): x = (3, 4), mean square 12.5
        float[] out = new float[2];
        VectorOps.rmsnorm(out, new float[]{3, 4}, new float[]{1, 2}, 0f);
        assertThat(out[0]).isCloseTo((float) (3 / Math.sqrt(12.5)), within(1e-6f));
        assertThat(out[1]).isCloseTo((float) (8 / Math.sqrt(12.5)), within(1e-6f));
    }

    @Test
    void softmaxMatchesReferenceAndSumsToOne() {
        SplittableRandom r = new SplittableRandom(4);
        for (int n : LENS) {
            float[] a = random(n + 2, r, 30), b = a.clone();
            VectorOps.softmaxInPlace(a, 2, n);
            VectorOpsReference.softmaxInPlace(b, 2, n);
            assertClose(a, b, 1e-5, 1e-7, "softmax n=" + n);
            double s = 0;
            for (int i = 0; i < n; i++) s += a[2 + i];
            if (n > 0) assertThat(s).isCloseTo(1.0, within(1e-5));
            assertThat(a[0]).isEqualTo(b[0]); // untouched prefix
        }
        // huge logits must not overflow
        float[] big = {1000f, 1000f, -1000f};
        VectorOps.softmaxInPlace(big, 0, 3);
        assertThat(big[0]).isCloseTo(0.5f, within(1e-6f));
        assertThat(big[2]).isEqualTo(0f);
    }

    @Test
    void siluMatchesReference() {
        SplittableRandom r = new SplittableRandom(5);
        for (int n : LENS) {
            float[] a = random(n, r, 20), b = a.clone();
            VectorOps.siluInPlace(a, 0, n);
            VectorOpsReference.siluInPlace(b, 0, n);
            assertClose(a, b, 2e-6, 1e-30, "silu n=" + n);
            float[] g = random(n + 1, r, 8), up = random(n + 2, r, 2), g2 = g.clone();
            VectorOps.siluMul(g, 1, up, 2, n);
            VectorOpsReference.siluMul(g2, 1, up, 2, n);
            assertClose(g, g2, 2e-6, 1e-30, "siluMul n=" + n);
        }
        assertThat(VectorOps.silu(0f)).isEqualTo(0f);
        assertThat(VectorOps.silu(2f)).isCloseTo((float) (2 / (1 + Math.exp(-2))), within(1e-7f));
        assertThat(VectorOps.silu(-200f)).isCloseTo(0f, within(1e-30f));
    }

    @Test
    void elementwiseMatchReference() {
        SplittableRandom r = new SplittableRandom(6);
        for (int n : LENS) {
            float[] a = random(n, r, 4), b = random(n, r, 4);
            float[] m = new float[n], m2 = new float[n], s = new float[n], s2 = new float[n];
            VectorOps.mul(m, a, b);
            VectorOpsReference.mul(m2, 0, a, 0, b, 0, n);
            VectorOps.add(s, a, b);
            VectorOpsReference.add(s2, 0, a, 0, b, 0, n);
            assertThat(m).containsExactly(m2);
            assertThat(s).containsExactly(s2);
            // aliasing: out == a
            float[] al = a.clone();
            VectorOps.add(al, 0, al, 0, b, 0, n);
            assertThat(al).containsExactly(s2);
        }
    }
}
