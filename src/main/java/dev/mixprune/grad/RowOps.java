package dev.mixprune.grad;

import dev.mixprune.tensor.KernelInfo;
import dev.mixprune.tensor.ThreadTeam;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row-wise pieces of the float32 training forward and backward: RMSNorm (keeping 1/rms per row),
 * its backward, SwiGLU and its backward, and a sum of squares whose order does not depend on the
 * thread count. Results are the same bits whatever the thread count AND whatever the JIT tier:
 * nothing here uses the Vector API's EXP or {@code reduceLanes}, whose results differ between
 * interpreted and compiled code. Vector bodies have scalar twins in {@link Naive} (tests compare
 * them; without the Vector API module the twins run).
 */
public final class RowOps {
    private RowOps() {}

    private static final boolean VECTOR = KernelInfo.vectorAvailable();

    /** Rows per parallel chunk of the row-wise loops. */
    static final int ROW_GRAIN = 16;

    /**
     * y[r] = g ⊙ x[r] · r_r with r_r = 1/sqrt(mean(x[r]²) + eps) for rows [0, rows), r_r saved in
     * {@code inv}. The same arithmetic as {@code model.LayerOps.rmsnorm} (sum of squares in double,
     * the scale rounded to float, {@code g * (scale * x)}), so the recorded forward equals the
     * inference forward's normalization bit for bit.
     */
    public static void rmsnorm(float[] x, float[] g, float eps, int rows, int dim, float[] y, float[] inv, ThreadTeam team) {
        team.forRange(0, rows, ROW_GRAIN, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int o = r * dim;
                double ss = 0;
                for (int i = 0; i < dim; i++) ss += (double) x[o + i] * x[o + i];
                float scale = (float) (1.0 / Math.sqrt(ss / dim + eps));
                inv[r] = scale;
                for (int i = 0; i < dim; i++) y[o + i] = g[i] * (scale * x[o + i]);
            }
        });
    }

    /**
     * RMSNorm backward (algorithms.md 10.2) for rows [0, rows): with n = x·r and dn = g ⊙ dy,
     * dx += r · (dn − n · mean(dn ⊙ n)). The row dot product is summed in double.
     */
    public static void rmsnormBackward(float[] dy, float[] x, float[] inv, float[] g, int rows, int dim, float[] dx, ThreadTeam team) {
        team.forRange(0, rows, ROW_GRAIN, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int o = r * dim;
                float rt = inv[r];
                double dot = 0;
                for (int i = 0; i < dim; i++) dot += (double) (g[i] * dy[o + i]) * (x[o + i] * rt);
                float mean = (float) (dot / dim);
                for (int i = 0; i < dim; i++) dx[o + i] += rt * (g[i] * dy[o + i] - (x[o + i] * rt) * mean);
            }
        });
    }

    /**
     * dL/dg of an RMSNorm gain over rows [r0, r1): dg[i] += Σ_r dy[r][i] · x[r][i] · r_r, summed in
     * double row after row (parallel over columns only, so the order is fixed).
     */
    public static void rmsnormGainGradient(float[] dy, float[] x, float[] inv, int r0, int r1, int dim, double[] dg, ThreadTeam team) {
        team.forRange(0, dim, 64, (lo, hi) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * dim;
                float rt = inv[r];
                for (int i = lo; i < hi; i++) dg[i] += (double) dy[o + i] * (x[o + i] * rt);
            }
        });
    }

    /**
     * SwiGLU forward s = silu(u) ⊙ z over n elements (u and z kept), with silu(u) = u / (1 + e^-u)
     * evaluated as {@code VectorOps.silu} does. Scalar {@code Math.exp}: the Vector API's EXP gives
     * different bits in interpreted and compiled code, which would make results depend on JIT timing.
     */
    public static void swiglu(float[] u, float[] z, float[] s, int n, ThreadTeam team) {
        forChunks(n, team, (lo, hi) -> {
            for (int i = lo; i < hi; i++) s[i] = (float) (u[i] / (1.0 + Math.exp(-u[i]))) * z[i];
        });
    }

    /**
     * SwiGLU backward of s = silu(u) ⊙ z over n elements: with σ = sigmoid(u),
     * dz = ds · u·σ and du = ds · z · σ · (1 + u·(1 − σ)). {@code ds} is replaced by du, {@code dz}
     * written. Scalar {@code Math.exp} (same bits in every JIT tier).
     */
    public static void swigluBackward(float[] u, float[] z, float[] ds, float[] dz, int n, ThreadTeam team) {
        forChunks(n, team, (lo, hi) -> Naive.swigluBackward(u, z, ds, dz, lo, hi));
    }

    /** out[i] += a[i] for i < n (exact IEEE adds: the same bits on any path). */
    public static void add(float[] out, float[] a, int n, ThreadTeam team) {
        forChunks(n, team, (lo, hi) -> dev.mixprune.tensor.VectorOps.add(out, lo, out, lo, a, lo, hi - lo));
    }

    private static final int ELEMENT_CHUNK = 1 << 14;

    /** body(lo, hi) over [0, n) in parallel chunks of a fixed size. */
    static void forChunks(int n, ThreadTeam team, ThreadTeam.RangeBody body) {
        team.forRange(0, (n + ELEMENT_CHUNK - 1) / ELEMENT_CHUNK, 1, (c0, c1) -> body.run(c0 * ELEMENT_CHUNK, Math.min(n, c1 * ELEMENT_CHUNK)));
    }

    /** Chunks of a sum of squares: fixed, so the result does not depend on the thread count. */
    static final int SQUARES_CHUNK = 1 << 16;

    /** Σ a[i]² over [0, n) in double: fixed chunks summed in order, each chunk on one thread. */
    public static double sumOfSquares(float[] a, int n, ThreadTeam team) {
        int chunks = (n + SQUARES_CHUNK - 1) / SQUARES_CHUNK;
        double[] part = new double[chunks];
        team.forRange(0, chunks, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int lo = c * SQUARES_CHUNK, hi = Math.min(n, lo + SQUARES_CHUNK);
                part[c] = VECTOR ? V.sumOfSquares(a, lo, hi) : Naive.sumOfSquares(a, lo, hi);
            }
        });
        double s = 0;
        for (double p : part) s += p;
        return s;
    }

    /** Vector API bodies (isolated so that the class loads without the module). */
    private static final class V {
        static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
        static final int L = S.length();

        /**
         * Float lanes over blocks of 1024 values, each block's lanes then added to a double in lane
         * order. (Not {@code reduceLanes}: its order differs between interpreted and compiled code.)
         */
        static double sumOfSquares(float[] a, int lo, int hi) {
            double total = 0;
            float[] lanes = new float[L];
            int i = lo;
            while (i + 2 * L <= hi) {
                int end = Math.min(hi, i + 1024);
                FloatVector s0 = FloatVector.zero(S), s1 = s0;
                for (; i + 2 * L <= end; i += 2 * L) {
                    FloatVector x0 = FloatVector.fromArray(S, a, i), x1 = FloatVector.fromArray(S, a, i + L);
                    s0 = x0.fma(x0, s0);
                    s1 = x1.fma(x1, s1);
                }
                s0.add(s1).intoArray(lanes, 0);
                for (float v : lanes) total += v;
            }
            for (; i < hi; i++) total += (double) a[i] * a[i];
            return total;
        }
    }

    /** Obviously-correct versions, for tests and JVMs without the Vector API. */
    public static final class Naive {
        private Naive() {}

        public static void swigluBackward(float[] u, float[] z, float[] ds, float[] dz, int lo, int hi) {
            for (int i = lo; i < hi; i++) {
                float sig = (float) (1.0 / (1.0 + Math.exp(-u[i])));
                float d = ds[i];
                dz[i] = d * (u[i] * sig);
                ds[i] = d * z[i] * sig * (1f + u[i] * (1f - sig));
            }
        }

        public static double sumOfSquares(float[] a, int lo, int hi) {
            double s = 0;
            for (int i = lo; i < hi; i++) s += (double) a[i] * a[i];
            return s;
        }
    }
}
