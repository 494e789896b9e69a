package dev.mixprune.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * C = A Bᵀ for few rows of A (decode with a handful of tokens): a multi-row GEMV. Packing B would
 * cost as much as the whole product here, so B rows are read in place, four at a time, each block
 * kept in cache while every row of A passes over it (two A rows at a time: 8 accumulators, each
 * A load feeding four FMAs and each B load two). Threads split the rows of B.
 */
final class GemmSkinny {
    private GemmSkinny() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    static void nt(float[] a, float[] b, float[] c, int n, int m, int k, boolean accumulate, ThreadTeam team) {
        long flops = 2L * n * m * k;
        int groups = (m + 3) / 4;
        if (flops < GemmVector.PARALLEL_FLOPS || ThreadTeam.insideTask()) {
            rows(a, b, c, n, m, k, accumulate, 0, m);
            return;
        }
        int grain = Math.max(1, (1 << 14) / Math.max(1, k)); // >= ~64 KiB of B per chunk
        team.forRange(0, groups, grain, (g0, g1) -> rows(a, b, c, n, m, k, accumulate, 4 * g0, Math.min(m, 4 * g1)));
    }

    /** Columns [j0, j1) of C (rows of B). */
    static void rows(float[] a, float[] b, float[] c, int n, int m, int k, boolean acc, int j0, int j1) {
        int vecEnd = k - k % L;
        int j = j0;
        for (; j + 4 <= j1; j += 4) {
            int b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
            int i = 0;
            for (; i + 2 <= n; i += 2) {
                int a0 = i * k, a1 = a0 + k;
                FloatVector s00 = FloatVector.zero(S), s01 = FloatVector.zero(S), s02 = FloatVector.zero(S), s03 = FloatVector.zero(S);
                FloatVector s10 = FloatVector.zero(S), s11 = FloatVector.zero(S), s12 = FloatVector.zero(S), s13 = FloatVector.zero(S);
                for (int p = 0; p < vecEnd; p += L) {
                    FloatVector x0 = FloatVector.fromArray(S, a, a0 + p);
                    FloatVector x1 = FloatVector.fromArray(S, a, a1 + p);
                    FloatVector w = FloatVector.fromArray(S, b, b0 + p);
                    s00 = x0.fma(w, s00);
                    s10 = x1.fma(w, s10);
                    w = FloatVector.fromArray(S, b, b1 + p);
                    s01 = x0.fma(w, s01);
                    s11 = x1.fma(w, s11);
                    w = FloatVector.fromArray(S, b, b2 + p);
                    s02 = x0.fma(w, s02);
                    s12 = x1.fma(w, s12);
                    w = FloatVector.fromArray(S, b, b3 + p);
                    s03 = x0.fma(w, s03);
                    s13 = x1.fma(w, s13);
                }
                float t00 = LaneMath.sum(s00), t01 = LaneMath.sum(s01);
                float t02 = LaneMath.sum(s02), t03 = LaneMath.sum(s03);
                float t10 = LaneMath.sum(s10), t11 = LaneMath.sum(s11);
                float t12 = LaneMath.sum(s12), t13 = LaneMath.sum(s13);
                for (int p = vecEnd; p < k; p++) {
                    float x0 = a[a0 + p], x1 = a[a1 + p];
                    t00 += x0 * b[b0 + p];
                    t01 += x0 * b[b1 + p];
                    t02 += x0 * b[b2 + p];
                    t03 += x0 * b[b3 + p];
                    t10 += x1 * b[b0 + p];
                    t11 += x1 * b[b1 + p];
                    t12 += x1 * b[b2 + p];
                    t13 += x1 * b[b3 + p];
                }
                put(c, i * m + j, t00, t01, t02, t03, acc);
                put(c, (i + 1) * m + j, t10, t11, t12, t13, acc);
            }
            for (; i < n; i++) {
                int a0 = i * k;
                FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
                for (int p = 0; p < vecEnd; p += L) {
                    FloatVector x0 = FloatVector.fromArray(S, a, a0 + p);
                    s0 = x0.fma(FloatVector.fromArray(S, b, b0 + p), s0);
                    s1 = x0.fma(FloatVector.fromArray(S, b, b1 + p), s1);
                    s2 = x0.fma(FloatVector.fromArray(S, b, b2 + p), s2);
                    s3 = x0.fma(FloatVector.fromArray(S, b, b3 + p), s3);
                }
                float t0 = LaneMath.sum(s0), t1 = LaneMath.sum(s1);
                float t2 = LaneMath.sum(s2), t3 = LaneMath.sum(s3);
                for (int p = vecEnd; p < k; p++) {
                    float x0 = a[a0 + p];
                    t0 += x0 * b[b0 + p];
                    t1 += x0 * b[b1 + p];
                    t2 += x0 * b[b2 + p];
                    t3 += x0 * b[b3 + p];
                }
                put(c, i * m + j, t0, t1, t2, t3, acc);
            }
        }
        for (; j < j1; j++) {
            int b0 = j * k;
            for (int i = 0; i < n; i++) {
                int a0 = i * k;
                FloatVector s0 = FloatVector.zero(S);
                for (int p = 0; p < vecEnd; p += L) {
                    s0 = FloatVector.fromArray(S, a, a0 + p).fma(FloatVector.fromArray(S, b, b0 + p), s0);
                }
                float t = LaneMath.sum(s0);
                for (int p = vecEnd; p < k; p++) t += a[a0 + p] * b[b0 + p];
                int o = i * m + j;
                c[o] = acc ? c[o] + t : t;
            }
        }
    }

    private static void put(float[] c, int o, float t0, float t1, float t2, float t3, boolean acc) {
        if (acc) {
            c[o] += t0;
            c[o + 1] += t1;
            c[o + 2] += t2;
            c[o + 3] += t3;
        } else {
            c[o] = t0;
            c[o + 1] = t1;
            c[o + 2] = t2;
            c[o + 3] = t3;
        }
    }
}
