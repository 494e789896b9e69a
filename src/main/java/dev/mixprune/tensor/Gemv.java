package dev.mixprune.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix-vector product y = W x for a [out][in] weight (decode path, memory-bound).
 *
 * <p>The fast kernel streams eight weight rows per pass, two vectors of each per step, so that each
 * load of x feeds eight FMAs and 16 independent accumulators keep many loads in flight (measured
 * here: as fast as a plain read loop over the same array; one or four rows per pass were slower).
 * Rows are split over the {@link ThreadTeam}. It accumulates in float (per-lane partial sums), so it differs from the
 * double-precision {@link #reference} by float rounding.
 */
public final class Gemv {
    private Gemv() {}

    /**
     * Dense weights up to this many values use {@link #smallGemv}: a product of a few thousand FMAs
     * takes microseconds either way, but Vector-API code runs ~100x slower until C2 has compiled it
     * (interpreted and C1 code allocate an object per vector operation). A tiny model's whole
     * generation run (stories260K: 256 tokens) used to finish inside that warm-up (~70 tok/s
     * instead of thousands); plain scalar loops are fast from the first calls.
     */
    static final int SMALL_WEIGHTS = 1 << 15;

    /** Below this many weights one thread is faster than waking the team. */
    static final int PARALLEL_WEIGHTS = 1 << 16;

    public static void multiply(Matrix w, float[] x, float[] y) {
        check(w, x, y);
        if (!KernelInfo.vectorAvailable()) {
            reference(w, x, y);
            return;
        }
        if (w.size() <= SMALL_WEIGHTS) {
            smallGemv(w, x, y);
            return;
        }
        int rows = w.rows(), cols = w.cols();
        if ((long) rows * cols < PARALLEL_WEIGHTS || ThreadTeam.insideTask()) {
            Kernel.rows(w.data(), cols, x, y, 0, rows);
            return;
        }
        ThreadTeam team = ThreadTeam.shared();
        // One contiguous run of whole 8-row groups per thread: each thread then reads one long
        // sequential stretch of memory (measured ~5% faster than finer dynamic chunks).
        int groups = (rows + 7) / 8;
        team.forChunks(0, groups, team.size(), (g0, g1) -> Kernel.rows(w.data(), cols, x, y, 8 * g0, Math.min(rows, 8 * g1)));
    }

    /**
     * Several products with the same input in one parallel pass: {@code ys[i] = ws[i] x} (for
     * instance wq, wk, wv of one decode step). One wake-up of the team instead of one per matrix,
     * and the threads balance over all rows together.
     */
    public static void multiply(Matrix[] ws, float[] x, float[][] ys) {
        if (ws.length != ys.length) throw new IllegalArgumentException("gemv: " + ws.length + " matrices but " + ys.length + " outputs");
        long weights = 0;
        for (int i = 0; i < ws.length; i++) {
            check(ws[i], x, ys[i]);
            weights += (long) ws[i].rows() * ws[i].cols();
        }
        if (!KernelInfo.vectorAvailable() || weights < PARALLEL_WEIGHTS || ThreadTeam.insideTask()) {
            for (int i = 0; i < ws.length; i++) multiply(ws[i], x, ys[i]);
            return;
        }
        // Global index of 8-row groups: matrix i owns groups [start[i], start[i+1]).
        int[] start = new int[ws.length + 1];
        int maxCols = 1;
        for (int i = 0; i < ws.length; i++) {
            start[i + 1] = start[i] + (ws[i].rows() + 7) / 8;
            maxCols = Math.max(maxCols, ws[i].cols());
        }
        int grain = Math.max(1, (1 << 13) / maxCols);
        ThreadTeam.shared().forRange(0, start[ws.length], grain, (g0, g1) -> {
            for (int i = 0; i < ws.length; i++) {
                int lo = Math.max(g0, start[i]), hi = Math.min(g1, start[i + 1]);
                if (lo >= hi) continue;
                Matrix w = ws[i];
                int r0 = 8 * (lo - start[i]), r1 = Math.min(w.rows(), 8 * (hi - start[i]));
                if (w.size() <= SMALL_WEIGHTS) smallRows(w.data(), w.cols(), x, ys[i], r0, r1);
                else Kernel.rows(w.data(), w.cols(), x, ys[i], r0, r1);
            }
        });
    }

    /** Scalar y = W x, four rows at a time (four independent accumulation chains). */
    public static void smallGemv(Matrix w, float[] x, float[] y) {
        check(w, x, y);
        smallRows(w.data(), w.cols(), x, y, 0, w.rows());
    }

    /** Rows [r0, r1) of the scalar product; each row sums in column order, however rows are grouped. */
    private static void smallRows(float[] a, int n, float[] x, float[] y, int r0, int r1) {
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            int o0 = r * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int c = 0; c < n; c++) {
                float xc = x[c];
                s0 += a[o0 + c] * xc;
                s1 += a[o1 + c] * xc;
                s2 += a[o2 + c] * xc;
                s3 += a[o3 + c] * xc;
            }
            y[r] = s0;
            y[r + 1] = s1;
            y[r + 2] = s2;
            y[r + 3] = s3;
        }
        for (; r < r1; r++) {
            float s = 0;
            for (int c = 0, o = r * n; c < n; c++) s += a[o + c] * x[c];
            y[r] = s;
        }
    }

    public static void reference(Matrix w, float[] x, float[] y) {
        check(w, x, y);
        float[] a = w.data();
        int n = w.cols();
        for (int r = 0; r < w.rows(); r++) {
            double s = 0;
            for (int c = 0; c < n; c++) s += (double) a[r * n + c] * x[c];
            y[r] = (float) s;
        }
    }

    private static void check(Matrix w, float[] x, float[] y) {
        if (x.length < w.cols() || y.length < w.rows()) {
            throw new IllegalArgumentException("gemv shapes " + w.shape() + " x[" + x.length + "] y[" + y.length + "]");
        }
    }

    /** The Vector-API part, in its own class so that Gemv loads without the module. */
    private static final class Kernel {
        static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
        static final int L = S.length();

        /** y[r] = W[r] . x for r in [r0, r1). */
        static void rows(float[] w, int n, float[] x, float[] y, int r0, int r1) {
            int r = r0;
            int vecEnd = n - n % L;
            int vec2End = n - n % (2 * L);
            for (; r + 8 <= r1; r += 8) {
                // 8 rows x 2 vectors: 16 accumulators, 16 weight loads in flight per iteration
                // (measured: as fast as a plain read loop over the same array; 1 or 4 rows were slower).
                int o0 = r * n;
                int o1 = o0 + n, o2 = o1 + n, o3 = o2 + n, o4 = o3 + n, o5 = o4 + n, o6 = o5 + n, o7 = o6 + n;
                FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
                FloatVector t0 = s0, t1 = s0, t2 = s0, t3 = s0, t4 = s0, t5 = s0, t6 = s0, t7 = s0;
                int c = 0;
                for (; c < vec2End; c += 2 * L) {
                    FloatVector xa = FloatVector.fromArray(S, x, c);
                    FloatVector xb = FloatVector.fromArray(S, x, c + L);
                    s0 = FloatVector.fromArray(S, w, o0 + c).fma(xa, s0);
                    t0 = FloatVector.fromArray(S, w, o0 + c + L).fma(xb, t0);
                    s1 = FloatVector.fromArray(S, w, o1 + c).fma(xa, s1);
                    t1 = FloatVector.fromArray(S, w, o1 + c + L).fma(xb, t1);
                    s2 = FloatVector.fromArray(S, w, o2 + c).fma(xa, s2);
                    t2 = FloatVector.fromArray(S, w, o2 + c + L).fma(xb, t2);
                    s3 = FloatVector.fromArray(S, w, o3 + c).fma(xa, s3);
                    t3 = FloatVector.fromArray(S, w, o3 + c + L).fma(xb, t3);
                    s4 = FloatVector.fromArray(S, w, o4 + c).fma(xa, s4);
                    t4 = FloatVector.fromArray(S, w, o4 + c + L).fma(xb, t4);
                    s5 = FloatVector.fromArray(S, w, o5 + c).fma(xa, s5);
                    t5 = FloatVector.fromArray(S, w, o5 + c + L).fma(xb, t5);
                    s6 = FloatVector.fromArray(S, w, o6 + c).fma(xa, s6);
                    t6 = FloatVector.fromArray(S, w, o6 + c + L).fma(xb, t6);
                    s7 = FloatVector.fromArray(S, w, o7 + c).fma(xa, s7);
                    t7 = FloatVector.fromArray(S, w, o7 + c + L).fma(xb, t7);
                }
                if (c < vecEnd) { // one single vector left
                    FloatVector xa = FloatVector.fromArray(S, x, c);
                    s0 = FloatVector.fromArray(S, w, o0 + c).fma(xa, s0);
                    s1 = FloatVector.fromArray(S, w, o1 + c).fma(xa, s1);
                    s2 = FloatVector.fromArray(S, w, o2 + c).fma(xa, s2);
                    s3 = FloatVector.fromArray(S, w, o3 + c).fma(xa, s3);
                    s4 = FloatVector.fromArray(S, w, o4 + c).fma(xa, s4);
                    s5 = FloatVector.fromArray(S, w, o5 + c).fma(xa, s5);
                    s6 = FloatVector.fromArray(S, w, o6 + c).fma(xa, s6);
                    s7 = FloatVector.fromArray(S, w, o7 + c).fma(xa, s7);
                }
                y[r] = LaneMath.sum(s0.add(t0)) + tail(w, o0, x, vecEnd, n);
                y[r + 1] = LaneMath.sum(s1.add(t1)) + tail(w, o1, x, vecEnd, n);
                y[r + 2] = LaneMath.sum(s2.add(t2)) + tail(w, o2, x, vecEnd, n);
                y[r + 3] = LaneMath.sum(s3.add(t3)) + tail(w, o3, x, vecEnd, n);
                y[r + 4] = LaneMath.sum(s4.add(t4)) + tail(w, o4, x, vecEnd, n);
                y[r + 5] = LaneMath.sum(s5.add(t5)) + tail(w, o5, x, vecEnd, n);
                y[r + 6] = LaneMath.sum(s6.add(t6)) + tail(w, o6, x, vecEnd, n);
                y[r + 7] = LaneMath.sum(s7.add(t7)) + tail(w, o7, x, vecEnd, n);
            }
            // The rows left over (fewer than 8) get exactly the 8-row path's arithmetic per row, so a
            // row's value does not depend on where the thread's chunk of rows began.
            for (; r < r1; r++) y[r] = row(w, r * n, x, n, vecEnd, vec2End);
        }

        /** One row with the arithmetic of the 8-row loop: two accumulators, fixed-order lane sum, scalar tail. */
        private static float row(float[] w, int o, float[] x, int n, int vecEnd, int vec2End) {
            FloatVector s = FloatVector.zero(S), t = s;
            int c = 0;
            for (; c < vec2End; c += 2 * L) {
                s = FloatVector.fromArray(S, w, o + c).fma(FloatVector.fromArray(S, x, c), s);
                t = FloatVector.fromArray(S, w, o + c + L).fma(FloatVector.fromArray(S, x, c + L), t);
            }
            if (c < vecEnd) s = FloatVector.fromArray(S, w, o + c).fma(FloatVector.fromArray(S, x, c), s);
            return LaneMath.sum(s.add(t)) + tail(w, o, x, vecEnd, n);
        }

        /** The scalar remainder of one row's dot product, columns [from, n). */
        private static float tail(float[] w, int o, float[] x, int from, int n) {
            float t = 0;
            for (int c = from; c < n; c++) t += w[o + c] * x[c];
            return t;
        }
    }
}
