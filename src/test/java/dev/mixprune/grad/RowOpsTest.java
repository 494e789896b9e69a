package dev.mixprune.grad;

import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The fast row kernels of the float32 backward against their naive twins, and thread-count independence. */
class RowOpsTest {
    static float[] random(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    @Test
    void swigluBackwardMatchesNaive() {
        Random r = new Random(3);
        for (int n : new int[]{1, 7, 16, 33, 1000, 40_001}) {
            float[] u = random(r, n, 4), z = random(r, n, 1), ds = random(r, n, 1);
            float[] ds2 = ds.clone(), dz = new float[n], dz2 = new float[n];
            RowOps.swigluBackward(u, z, ds, dz, n, ThreadTeam.shared());
            RowOps.Naive.swigluBackward(u, z, ds2, dz2, 0, n);
            for (int i = 0; i < n; i++) {
                // vector exp vs Math.exp: a few ulps
                assertThat(ds[i]).as("du[%d] of %d", i, n).isCloseTo(ds2[i], within(1e-6f * (1 + Math.abs(ds2[i]))));
                assertThat(dz[i]).as("dz[%d] of %d", i, n).isCloseTo(dz2[i], within(1e-6f * (1 + Math.abs(dz2[i]))));
            }
        }
    }

    @Test
    void sumOfSquaresMatchesNaiveAndIgnoresThreads() {
        Random r = new Random(4);
        for (int n : new int[]{0, 1, 15, 31, 33, 1025, 200_003}) {
            float[] a = random(r, n, 3);
            double expected = RowOps.Naive.sumOfSquares(a, 0, n);
            double one, two;
            try (ThreadTeam t1 = new ThreadTeam(1, "a"); ThreadTeam t2 = new ThreadTeam(2, "b")) {
                one = RowOps.sumOfSquares(a, n, t1);
                two = RowOps.sumOfSquares(a, n, t2);
            }
            assertThat(one).isEqualTo(two);
            assertThat(one).isCloseTo(expected, within(1e-6 * expected + 1e-30));
        }
    }

    @Test
    void rmsnormKeepsTheInverseRmsAndItsBackwardMatchesDouble() {
        Random r = new Random(5);
        int rows = 5, dim = 37;
        float[] x = random(r, rows * dim, 2), g = random(r, dim, 1), y = new float[rows * dim], inv = new float[rows];
        RowOps.rmsnorm(x, g, 1e-5f, rows, dim, y, inv, ThreadTeam.shared());
        float[] dy = random(r, rows * dim, 1), dx = new float[rows * dim];
        RowOps.rmsnormBackward(dy, x, inv, g, rows, dim, dx, ThreadTeam.shared());
        double[] dg = new double[dim];
        RowOps.rmsnormGainGradient(dy, x, inv, 0, rows, dim, dg, ThreadTeam.shared());
        for (int t = 0; t < rows; t++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) x[t * dim + i] * x[t * dim + i];
            double rt = 1 / Math.sqrt(ss / dim + 1e-5);
            assertThat((double) inv[t]).isCloseTo(rt, within(1e-6 * rt));
            double dot = 0;
            for (int i = 0; i < dim; i++) dot += g[i] * dy[t * dim + i] * x[t * dim + i] * rt;
            for (int i = 0; i < dim; i++) {
                double n = x[t * dim + i] * rt;
                assertThat((double) y[t * dim + i]).isCloseTo(g[i] * n, within(1e-5));
                assertThat((double) dx[t * dim + i]).isCloseTo(rt * (g[i] * dy[t * dim + i] - n * dot / dim), within(1e-5));
            }
        }
        for (int i = 0; i < dim; i++) {
            double s = 0;
            for (int t = 0; t < rows; t++) {
                double ss = 0;
                for (int j = 0; j < dim; j++) ss += (double) x[t * dim + j] * x[t * dim + j];
                s += dy[t * dim + i] * x[t * dim + i] / Math.sqrt(ss / dim + 1e-5);
            }
            assertThat(dg[i]).isCloseTo(s, within(1e-5));
        }
    }

    /**
     * The backward's determinism rests on this: every GEMM element is one fixed-order sum whatever
     * the tiling. NT products with fewer than 32 rows or columns are skipped for NT: they go to
     * GemmSkinny, whose lane reduction differs between JIT tiers (not between thread counts), and
     * the backward never sends such products there ({@link Products}).
     */
    @Test
    void gemmResultsDoNotDependOnTheTeamSize() {
        Random r = new Random(6);
        int[][] shapes = {{37, 53, 29}, {64, 200, 130}, {300, 48, 77}, {8, 40, 100}, {100, 40, 8}};
        for (int[] s : shapes) {
            int n = s[0], k = s[1], m = s[2];
            Matrix a = new Matrix(n, k, random(r, n * k, 1)), bt = new Matrix(m, k, random(r, m * k, 1)), b = new Matrix(k, m, random(r, k * m, 1));
            Matrix at = new Matrix(k, n, random(r, k * n, 1));
            Matrix[] ref = null;
            for (int threads : new int[]{1, 2, 3}) {
                try (ThreadTeam team = new ThreadTeam(threads, "g" + threads)) {
                    Matrix nt = new Matrix(n, m), nn = new Matrix(n, m), tn = new Matrix(n, m);
                    boolean packedNt = n >= Products.SKINNY && m >= Products.SKINNY;
                    if (packedNt) Gemm.nt(a, bt, nt, false, team);
                    else Products.nt(a, bt, nt, false, team);
                    Gemm.nn(a, b, nn, false, team);
                    Gemm.tn(at, b, tn, false, team);
                    if (ref == null) {
                        ref = new Matrix[]{nt, nn, tn};
                    } else {
                        assertThat(nt.data()).as("nt %dx%dx%d, %d threads", n, k, m, threads).containsExactly(ref[0].data());
                        assertThat(nn.data()).as("nn %dx%dx%d, %d threads", n, k, m, threads).containsExactly(ref[1].data());
                        assertThat(tn.data()).as("tn %dx%dx%d, %d threads", n, k, m, threads).containsExactly(ref[2].data());
                    }
                }
            }
        }
    }

    @Test
    void productsAvoidingTheSkinnyPathMatchTheReference() {
        Random r = new Random(7);
        int[][] shapes = {{5, 40, 100}, {100, 40, 8}, {3, 17, 5}, {64, 33, 48}};
        for (int[] s : shapes) {
            int n = s[0], k = s[1], m = s[2];
            Matrix a = new Matrix(n, k, random(r, n * k, 1)), b = new Matrix(m, k, random(r, m * k, 1));
            for (boolean acc : new boolean[]{false, true}) {
                Matrix c = new Matrix(n, m, random(r, n * m, 1)), ref = c.copy();
                Products.nt(a, b, c, acc, ThreadTeam.shared());
                dev.mixprune.tensor.GemmReference.nt(a, b, ref, acc);
                for (int i = 0; i < c.size(); i++) {
                    assertThat(c.data()[i]).as("%dx%dx%d acc %s [%d]", n, k, m, acc, i).isCloseTo(ref.data()[i], within(1e-4f * (1 + Math.abs(ref.data()[i]))));
                }
            }
        }
    }
}
