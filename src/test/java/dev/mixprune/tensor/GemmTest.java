package dev.mixprune.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GemmTest {

    static Matrix random(int rows, int cols, SplittableRandom r) {
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
        return new Matrix(rows, cols, d);
    }

    /**
     * Float accumulation error bound: |fast - exact| <= tol * (|C0| + sum_p |a_ip b_pj|), with tol
     * a generous multiple of k * 2^-24. Using the sum of absolute products makes the check strict
     * even where cancellation makes the result itself small.
     */
    static void assertClose(Matrix fast, Matrix exact, Matrix absBound, int k, String what) {
        double tol = 4 * (k + 2) * Math.ulp(1f) / 2 + 1e-30;
        float[] f = fast.data(), e = exact.data(), b = absBound.data();
        for (int i = 0; i < f.length; i++) {
            double err = Math.abs((double) f[i] - e[i]);
            if (err > tol * b[i] + 1e-6 * Float.MIN_NORMAL) {
                throw new AssertionError(what + ": element " + (i / fast.cols()) + "," + (i % fast.cols())
                        + " fast=" + f[i] + " exact=" + e[i] + " bound=" + tol * b[i]);
            }
        }
    }

    static Matrix abs(Matrix m) {
        float[] d = m.data().clone();
        for (int i = 0; i < d.length; i++) d[i] = Math.abs(d[i]);
        return new Matrix(m.rows(), m.cols(), d);
    }

    static final int[] SIZES = {1, 2, 3, 7, 15, 17, 31, 33, 63, 65, 127, 129};

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(42);
        // all n,m pairs from a subset, with awkward k values (not multiples of 8, around KC)
        int[] ks = {1, 3, 9, 31, 100, 257, 513};
        for (int n : SIZES) {
            for (int m : SIZES) {
                if (r.nextInt(4) != 0 && !(n == 1 || m == 1 || n == 129)) continue;
                out.add(Arguments.of(n, ks[r.nextInt(ks.length)], m));
            }
        }
        out.add(Arguments.of(200, 300, 700));   // several column blocks and row tiles, multi-threaded
        out.add(Arguments.of(6, 1000, 1100));   // exactly one micro-panel of rows
        out.add(Arguments.of(300, 70, 5));      // tall and thin: row-split parallelism
        return out.stream();
    }

    /** One of the three products, writing (or with acc adding) into its third argument. */
    interface Product { void apply(Matrix a, Matrix b, Matrix c, boolean acc); }

    /** Both modes of {@code fast} against the reference, within the bound computed from |a|·|b| + |c|. */
    private static void matchesReference(Product fast, Product reference, Matrix a, Matrix b, int n, int m, int k,
                                         SplittableRandom r, String name) {
        for (boolean acc : new boolean[]{false, true}) {
            Matrix c0 = random(n, m, r);
            Matrix got = c0.copy(), exact = c0.copy(), bound = abs(c0);
            fast.apply(a, b, got, acc);
            reference.apply(a, b, exact, acc);
            reference.apply(abs(a), abs(b), bound, acc);
            assertClose(got, exact, bound, k, name + " acc=" + acc);
        }
    }

    @ParameterizedTest(name = "nt n={0} k={1} m={2}")
    @MethodSource("shapes")
    void ntMatchesReference(int n, int k, int m) {
        SplittableRandom r = new SplittableRandom(n * 31L + k * 7L + m);
        Matrix a = random(n, k, r), b = random(m, k, r);
        matchesReference(Gemm::nt, GemmReference::nt, a, b, n, m, k, r, "nt");
    }

    @ParameterizedTest(name = "nn n={0} k={1} m={2}")
    @MethodSource("shapes")
    void nnMatchesReference(int n, int k, int m) {
        SplittableRandom r = new SplittableRandom(n * 37L + k * 11L + m);
        Matrix a = random(n, k, r), b = random(k, m, r);
        matchesReference(Gemm::nn, GemmReference::nn, a, b, n, m, k, r, "nn");
    }

    @ParameterizedTest(name = "tn n={0} k={1} m={2}")
    @MethodSource("shapes")
    void tnMatchesReference(int n, int k, int m) {
        SplittableRandom r = new SplittableRandom(n * 41L + k * 13L + m);
        Matrix a = random(k, n, r), b = random(k, m, r);
        matchesReference(Gemm::tn, GemmReference::tn, a, b, n, m, k, r, "tn");
    }

    @Test
    void allocatingOverloadsOverwrite() {
        SplittableRandom r = new SplittableRandom(5);
        Matrix a = random(17, 33, r), b = random(9, 33, r);
        Matrix exact = new Matrix(17, 9);
        GemmReference.nt(a, b, exact, false);
        Matrix bound = new Matrix(17, 9);
        GemmReference.nt(abs(a), abs(b), bound, false);
        assertClose(Gemm.nt(a, b), exact, bound, 33, "nt alloc");

        Matrix bt = random(33, 9, r);
        Matrix e2 = new Matrix(17, 9), b2 = new Matrix(17, 9);
        GemmReference.nn(a, bt, e2, false);
        GemmReference.nn(abs(a), abs(bt), b2, false);
        assertClose(Gemm.nn(a, bt), e2, b2, 33, "nn alloc");

        Matrix at = random(33, 17, r);
        Matrix e3 = new Matrix(17, 9), b3 = new Matrix(17, 9);
        GemmReference.tn(at, bt, e3, false);
        GemmReference.tn(abs(at), abs(bt), b3, false);
        assertClose(Gemm.tn(at, bt), e3, b3, 33, "tn alloc");
    }

    @Test
    void emptyInnerDimensionGivesZeroOrKeepsC() {
        Matrix a = new Matrix(3, 0), b = new Matrix(4, 0);
        Matrix c = new Matrix(3, 4);
        java.util.Arrays.fill(c.data(), 7f);
        Gemm.nt(a, b, c, true);
        assertThat(c.data()).containsOnly(7f);
        Gemm.nt(a, b, c, false);
        assertThat(c.data()).containsOnly(0f);
    }

    @Test
    void exactOnSmallIntegers() {
        // Small integers are exact in float: the fast path must give the reference bit for bit.
        SplittableRandom r = new SplittableRandom(9);
        Matrix a = new Matrix(37, 45), b = new Matrix(29, 45);
        for (int i = 0; i < a.size(); i++) a.data()[i] = r.nextInt(-4, 5);
        for (int i = 0; i < b.size(); i++) b.data()[i] = r.nextInt(-4, 5);
        Matrix exact = new Matrix(37, 29);
        GemmReference.nt(a, b, exact, false);
        assertThat(Gemm.nt(a, b).data()).containsExactly(exact.data());
    }

    @Test
    void rejectsMismatchedShapes() {
        assertThatThrownBy(() -> Gemm.nt(new Matrix(2, 3), new Matrix(4, 5), new Matrix(2, 4), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nt shapes");
        assertThatThrownBy(() -> Gemm.nn(new Matrix(2, 3), new Matrix(4, 5), new Matrix(2, 5), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nn shapes");
        assertThatThrownBy(() -> Gemm.tn(new Matrix(2, 3), new Matrix(4, 5), new Matrix(3, 5), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tn shapes");
    }

    @Test
    void packedAndSkinnyPathsEachMatchReference() {
        // gemm() picks one path by shape; here each is run on shapes the dispatch would not give it.
        SplittableRandom r = new SplittableRandom(21);
        int[][] shapes = {{1, 33, 65}, {2, 257, 31}, {5, 100, 7}, {7, 513, 129}, {40, 100, 37}, {65, 17, 70}};
        for (int[] s : shapes) {
            int n = s[0], k = s[1], m = s[2];
            Matrix a = random(n, k, r), b = random(m, k, r);
            Matrix exact = new Matrix(n, m), bound = new Matrix(n, m);
            GemmReference.nt(a, b, exact, false);
            GemmReference.nt(abs(a), abs(b), bound, false);
            Matrix viaPacked = new Matrix(n, m), viaSkinny = new Matrix(n, m);
            GemmVector.packed(GemmVector.Layout.NT, a.data(), b.data(), viaPacked.data(), n, m, k, false, ThreadTeam.shared());
            GemmSkinny.nt(a.data(), b.data(), viaSkinny.data(), n, m, k, false, ThreadTeam.shared());
            assertClose(viaPacked, exact, bound, k, "packed " + n + "x" + k + "x" + m);
            assertClose(viaSkinny, exact, bound, k, "skinny " + n + "x" + k + "x" + m);
        }
    }

    @Test
    void rejectsOutputAliasingAnInput() {
        Matrix a = new Matrix(3, 3);
        assertThatThrownBy(() -> Gemm.nt(a, new Matrix(3, 3), a, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("shares");
        assertThatThrownBy(() -> Gemm.nn(new Matrix(3, 3), a, a, true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void worksFromInsideATeamTask() {
        // Nested use: the kernels run inline on the worker instead of waiting for the busy team.
        SplittableRandom r = new SplittableRandom(11);
        Matrix a = random(150, 130, r), b = random(140, 130, r);
        Matrix exact = new Matrix(150, 140), bound = new Matrix(150, 140);
        GemmReference.nt(a, b, exact, false);
        GemmReference.nt(abs(a), abs(b), bound, false);
        Matrix[] results = new Matrix[4];
        ThreadTeam.shared().forEach(4, i -> results[i] = Gemm.nt(a, b));
        for (Matrix res : results) assertClose(res, exact, bound, 130, "nested");
    }
}
