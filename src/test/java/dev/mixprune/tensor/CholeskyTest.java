package dev.mixprune.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CholeskyTest {

    /** H = X^T X / rows + damp I: SPD with a spread of eigenvalues, like a calibration Hessian. */
    static double[] randomSpd(int n, SplittableRandom r) {
        int rows = n + 5;
        double[] x = new double[rows * n];
        for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian() * (1 + (i % n) * 0.01);
        double[] h = new double[n * n];
        for (int p = 0; p < rows; p++) {
            for (int i = 0; i < n; i++) {
                double xi = x[p * n + i];
                for (int j = 0; j < n; j++) h[i * n + j] += xi * x[p * n + j] / rows;
            }
        }
        for (int i = 0; i < n; i++) h[i * n + i] += 0.01;
        return h;
    }

    static double[] mul(double[] a, double[] b, int n, boolean transposeA) {
        double[] c = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                double aik = transposeA ? a[k * n + i] : a[i * n + k];
                if (aik == 0) continue;
                for (int j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
            }
        }
        return c;
    }

    static double[] transpose(double[] a, int n) {
        double[] t = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
        return t;
    }

    static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    static void assertMatrixClose(double[] a, double[] b, double relTol, String what) {
        double scale = Math.max(maxAbs(a), maxAbs(b));
        for (int i = 0; i < a.length; i++) {
            if (Math.abs(a[i] - b[i]) > relTol * scale) {
                throw new AssertionError(what + " index " + i + ": " + a[i] + " vs " + b[i] + " (scale " + scale + ")");
            }
        }
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 2, 3, 7, 17, 33, 65, 200, 257})
    void factorReproducesH(int n) {
        double[] h = randomSpd(n, new SplittableRandom(n));
        double[] hCopy = h.clone();
        double[] l = Cholesky.factor(h, n);
        assertThat(h).containsExactly(hCopy);
        for (int i = 0; i < n; i++) {
            assertThat(l[i * n + i]).isPositive();
            for (int j = i + 1; j < n; j++) assertThat(l[i * n + j]).isZero();
        }
        assertMatrixClose(mul(l, transpose(l, n), n, false), h, 1e-12, "L L^T");
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 2, 3, 7, 17, 33, 47, 48, 49, 65, 97, 100, 193, 257, 830}) // 830 > KB: chunked update
    void blockedKernelsMatchReference(int n) {
        double[] h = randomSpd(n, new SplittableRandom(300 + n));
        double[] l = Cholesky.factor(h, n);
        double[] ref = CholeskyReference.factor(h, n);
        assertMatrixClose(l, ref, 1e-12, "factor vs reference");
        double[] inv = Cholesky.invertLower(ref, n);
        double[] invRef = CholeskyReference.invertLower(ref, n);
        assertMatrixClose(inv, invRef, 1e-11, "invertLower vs reference");
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (inv[i * n + j] != 0) throw new AssertionError("inverse not lower at " + i + "," + j);
            }
        }
        double[] inPlace = ref.clone();
        Cholesky.invertLowerInPlace(inPlace, n);
        // plain equality: AssertJ's containsExactly is very slow on arrays this large
        assertThat(java.util.Arrays.equals(inPlace, inv)).isTrue();
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 2, 5, 31, 64, 129, 250})
    void inverseTimesHIsIdentity(int n) {
        double[] h = randomSpd(n, new SplittableRandom(100 + n));
        double[] inv = Cholesky.inverse(h, n);
        double[] id = mul(h, inv, n, false);
        for (int i = 0; i < n; i++) id[i * n + i] -= 1;
        assertThat(maxAbs(id)).isLessThan(1e-8);
        assertMatrixClose(inv, transpose(inv, n), 0, "symmetric");
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 2, 3, 8, 33, 100, 211})
    void inverseUpperFactorGivesHinv(int n) {
        double[] h = randomSpd(n, new SplittableRandom(200 + n));
        double[] u = Cholesky.inverseUpperFactor(h, n);
        for (int i = 0; i < n; i++) {
            assertThat(u[i * n + i]).isPositive();
            for (int j = 0; j < i; j++) assertThat(u[i * n + j]).isZero();
        }
        double[] utu = mul(u, u, n, true); // U^T U
        assertMatrixClose(utu, Cholesky.inverse(h, n), 1e-9, "U^T U == H^-1");
        // and (U^T U) H == I
        double[] id = mul(utu, h, n, false);
        for (int i = 0; i < n; i++) id[i * n + i] -= 1;
        assertThat(maxAbs(id)).isLessThan(1e-8);
    }

    @Test
    void inverseUpperFactorOfKnownMatrix() {
        // H = diag(4, 9): H^-1 = diag(1/4, 1/9), U = diag(1/2, 1/3).
        double[] u = Cholesky.inverseUpperFactor(new double[]{4, 0, 0, 9}, 2);
        assertThat(u).containsExactly(0.5, 0, 0, 1.0 / 3);
        // H = [[2,1],[1,2]]: H^-1 = [[2,-1],[-1,2]]/3; U^T U = H^-1 with U upper:
        // U11^2 = 2/3, U11 U12 = -1/3, U12^2 + U22^2 = 2/3.
        double[] v = Cholesky.inverseUpperFactor(new double[]{2, 1, 1, 2}, 2);
        double u11 = Math.sqrt(2.0 / 3), u12 = -1.0 / 3 / u11, u22 = Math.sqrt(2.0 / 3 - u12 * u12);
        assertThat(v[0]).isCloseTo(u11, org.assertj.core.api.Assertions.within(1e-15));
        assertThat(v[1]).isCloseTo(u12, org.assertj.core.api.Assertions.within(1e-15));
        assertThat(v[2]).isZero();
        assertThat(v[3]).isCloseTo(u22, org.assertj.core.api.Assertions.within(1e-15));
    }

    @Test
    void notPositiveDefiniteNamesThePivot() {
        // Pivot 2 fails: the third row makes the matrix singular (row2 = row0 + row1 pattern).
        double[] h = {
                4, 2, 6,
                2, 5, 7,
                6, 7, 13};
        assertThatThrownBy(() -> Cholesky.factor(h, 3))
                .isInstanceOf(NotPositiveDefiniteException.class)
                .hasMessageContaining("pivot 2")
                .satisfies(e -> assertThat(((NotPositiveDefiniteException) e).pivot()).isEqualTo(2));
        double[] neg = {1, 0, 0, -1};
        assertThatThrownBy(() -> Cholesky.factor(neg, 2)).hasMessageContaining("pivot 1");
        assertThatThrownBy(() -> Cholesky.factor(new double[]{Double.NaN}, 1)).isInstanceOf(NotPositiveDefiniteException.class);
        // in the reversed order used by inverseUpperFactor the pivot is still named in H's numbering
        double[] neg2 = {-1, 0, 0, 1};
        assertThatThrownBy(() -> Cholesky.inverseUpperFactor(neg2, 2)).hasMessageContaining("pivot 0");
    }

    @Test
    void rejectsWrongSizes() {
        assertThatThrownBy(() -> Cholesky.factor(new double[5], 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2x2");
    }

    @Test
    void largeParallelMatchesSerialStructure() {
        // Above the parallel threshold: L L^T must still reproduce H.
        int n = 401;
        double[] h = randomSpd(n, new SplittableRandom(7));
        double[] l = Cholesky.factor(h, n);
        double[] llt = mul(l, transpose(l, n), n, false);
        assertMatrixClose(llt, h, 1e-12, "parallel L L^T");
    }
}
