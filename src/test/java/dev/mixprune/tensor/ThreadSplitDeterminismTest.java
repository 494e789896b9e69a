package dev.mixprune.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kernels give the same bits however their work is split over threads (issue 13: every method is
 * bit-reproducible whatever the thread count). Each kernel runs once on the shared team and once
 * inside a team task, where it runs serially in one piece; awkward sizes put rows in every
 * remainder path.
 */
class ThreadSplitDeterminismTest {
    /** Runs {@code body} as a team task: nested parallel calls then run inline on this thread. */
    static void serially(Runnable body) {
        try (ThreadTeam team = new ThreadTeam(1, "serial")) {
            team.forChunks(0, 1, 1, (lo, hi) -> body.run());
        }
        // A team of 1 runs inline and marks the thread as inside a task for the duration.
    }

    static double[] spd(int n, long seed) {
        Random r = new Random(seed);
        int k = n + 7;
        double[] x = new double[k * n];
        for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
        double[] h = new double[n * n];
        for (int p = 0; p < k; p++) {
            for (int i = 0; i < n; i++) {
                double xi = x[p * n + i];
                for (int j = 0; j < n; j++) h[i * n + j] += xi * x[p * n + j];
            }
        }
        for (int i = 0; i < n; i++) h[i * n + i] += 1e-3;
        return h;
    }

    @Test
    void choleskyFactorAndInverseFactorDoNotDependOnTheSplit() {
        assertThat(ThreadTeam.shared().size()).as("needs a parallel shared team").isGreaterThan(1);
        for (int n : new int[]{Cholesky.PARALLEL_N + 5, 263}) {
            double[] h = spd(n, n);
            double[] parallel = Cholesky.inverseUpperFactor(h, n);
            double[][] serial = new double[1][];
            serially(() -> serial[0] = Cholesky.inverseUpperFactor(h, n));
            assertThat(serial[0]).as("n = %d", n).containsExactly(parallel);
        }
    }

    @Test
    void gemvDoesNotDependOnTheSplit() {
        Random r = new Random(3);
        for (int[] shape : new int[][]{{1003, 257}, {299, 303}}) {
            Matrix w = new Matrix(shape[0], shape[1]);
            for (int i = 0; i < w.data().length; i++) w.data()[i] = (float) r.nextGaussian();
            float[] x = new float[shape[1]];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            float[] parallel = new float[shape[0]], serial = new float[shape[0]];
            Gemv.multiply(w, x, parallel);
            serially(() -> Gemv.multiply(w, x, serial));
            assertThat(serial).as("%dx%d", shape[0], shape[1]).containsExactly(parallel);
        }
    }

    @Test
    void gemmDoesNotDependOnTheTeamSize() {
        Random r = new Random(4);
        // k > KC (several k blocks), rows and columns not multiples of MR / NR, accumulate on.
        int n = 61, m = 97, k = 2 * GemmVector.KC + 17;
        float[] a = new float[n * k], b = new float[k * m], c0 = new float[n * m];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        for (int i = 0; i < c0.length; i++) c0[i] = (float) r.nextGaussian();
        for (GemmVector.Layout layout : GemmVector.Layout.values()) {
            float[] want = null;
            for (int threads : new int[]{1, 2, 3, 5}) {
                try (ThreadTeam team = new ThreadTeam(threads, "t")) {
                    float[] c = c0.clone();
                    GemmVector.packed(layout, a, b, c, n, m, k, true, team);
                    if (want == null) want = c;
                    else assertThat(c).as("%s with %d threads", layout, threads).containsExactly(want);
                }
            }
        }
    }

    @Test
    void skinnyGemmDoesNotDependOnTheTeamSize() {
        Random r = new Random(5);
        int n = 7, m = 301, k = 259;
        float[] a = new float[n * k], b = new float[m * k];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        float[] want = null;
        for (int threads : new int[]{1, 2, 3}) {
            try (ThreadTeam team = new ThreadTeam(threads, "t")) {
                float[] c = new float[n * m];
                GemmSkinny.nt(a, b, c, n, m, k, false, team);
                if (want == null) want = c;
                else assertThat(c).as("%d threads", threads).containsExactly(want);
            }
        }
    }
}
