package dev.mixprune.sparse;

import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;



/**
 * Products with a packed N:M weight: y = W x (decode) and Y = X W^T (prefill). Only the kept
 * values are read and multiplied, so the work and the bytes read scale with N/M.
 * References: {@link #gemvReference} and {@link #gemmReference} (dense expansion + plain loops).
 */
public final class SparseKernels {
    private SparseKernels() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4));
    private static final int L = F.length();
    /** Token block width of the prefill kernel: 4 vectors of accumulators per output row. */
    private static final int TB = 4 * L;

    /** Input column of every slot of a row, minus the in-group position: (s / N) * M. */
    static int[] slotBase(PackedNM w) {
        int[] sb = new int[w.slotsPerRow() + L];
        for (int s = 0; s < w.slotsPerRow(); s++) sb[s] = (s / w.n()) * w.m();
        return sb;
    }

    // ---------------------------------------------------------------- GEMV

    /** y[0..rows) = W x. */
    public static void gemv(PackedNM w, float[] x, float[] y) {
        checkGemv(w, x, y);
        int rows = w.rows();
        boolean small = (long) rows * w.slotsPerRow() < 1 << 15;
        if (permuteSpan(w) > 0) {
            // x padded so that every block's (up to) four x vectors can be loaded without bounds trouble.
            float[] xp = new float[w.groupsPerRow() * w.m() + 4 * L];
            System.arraycopy(x, 0, xp, 0, w.cols());
            if (small) gemvRowsPermute(w, xp, y, 0, rows);
            else ThreadTeam.shared().forRange(0, rows, 16, (lo, hi) -> gemvRowsPermute(w, xp, y, lo, hi));
            return;
        }
        int[] sb = slotBase(w);
        if (small) {
            gemvRows(w, sb, x, y, 0, rows, new int[w.slotsPerRow() + L]);
        } else {
            ThreadTeam.shared().forRange(0, rows, 16, (lo, hi) -> gemvRows(w, sb, x, y, lo, hi, new int[w.slotsPerRow() + L]));
        }
    }

    /**
     * Columns of x that one vector of L consecutive slots can cover (over every alignment of the
     * vector to the groups), when that fits in at most four x vectors, else 0 (gather kernel).
     * A vector starting at slot s covers groups s/N .. (s+L-1)/N: at most (N-1+L-1)/N + 1 groups.
     * Fits for M <= about 4N: 2:4, 3:4, 2:8 .. 7:8, 4:16 ..; not for 1:8 or 1:16.
     */
    static int permuteSpan(PackedNM w) {
        int span = ((w.n() - 1 + L - 1) / w.n() + 1) * w.m();
        return span <= 4 * L ? span : 0;
    }

    /**
     * The kernel for small M/N: a vector of L slots covers a contiguous span of at most 4L inputs, so
     * instead of gathering x through an index array it loads those (up to four) x vectors and picks
     * each slot's input with a two-source permute (vpermt2ps) on the in-group index converted to
     * float. The group offset of lane i depends only on the vector's phase (its first slot mod N),
     * so there are at most N precomputed offset vectors.
     */
    private static void gemvRowsPermute(PackedNM w, float[] xp, float[] y, int r0, int r1) {
        float[] v = w.values();
        byte[] idx = w.index();
        int n = w.n(), m = w.m(), spr = w.slotsPerRow(), span = permuteSpan(w);
        int blocks = spr / L;
        FloatVector[] bases = new FloatVector[n];
        float[] baseArr = new float[L];
        for (int phase = 0; phase < n; phase++) {
            for (int i = 0; i < L; i++) baseArr[i] = ((phase + i) / n) * m;
            bases[phase] = FloatVector.fromArray(F, baseArr, 0);
        }
        FloatVector two = FloatVector.broadcast(F, 2 * L);
        boolean wide = span > 2 * L;
        for (int r = r0; r < r1; r++) {
            int o = r * spr;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0, sr = 0; b < blocks; b++, sr += L) {
                int c0 = (sr / n) * m, s = o + sr;
                FloatVector pos = ((FloatVector) ByteVector.fromArray(B, idx, s).convertShape(VectorOperators.B2F, F, 0)).add(bases[sr % n]);
                FloatVector xv = pos.selectFrom(FloatVector.fromArray(F, xp, c0), FloatVector.fromArray(F, xp, c0 + L));
                if (wide) {
                    FloatVector hi = pos.selectFrom(FloatVector.fromArray(F, xp, c0 + 2 * L), FloatVector.fromArray(F, xp, c0 + 3 * L));
                    xv = xv.blend(hi, pos.compare(VectorOperators.GE, two));
                }
                acc = FloatVector.fromArray(F, v, s).fma(xv, acc);
            }
            float sum = acc.reduceLanes(VectorOperators.ADD);
            for (int s = blocks * L; s < spr; s++) sum += v[o + s] * xp[(s / n) * m + idx[o + s]];
            y[r] = sum;
        }
    }

    private static void gemvRows(PackedNM w, int[] sb, float[] x, float[] y, int r0, int r1, int[] cols) {
        float[] v = w.values();
        byte[] idx = w.index();
        int spr = w.slotsPerRow();
        int vecEnd = spr - spr % L;
        for (int r = r0; r < r1; r++) {
            int o = r * spr;
            // Absolute columns of this row's slots (vectorised byte -> int widening).
            int s = 0;
            for (; s < vecEnd; s += L) {
                IntVector base = IntVector.fromArray(I, sb, s);
                IntVector off = (IntVector) ByteVector.fromArray(B, idx, o + s).convertShape(VectorOperators.B2I, I, 0);
                base.add(off).intoArray(cols, s);
            }
            for (; s < spr; s++) cols[s] = sb[s] + idx[o + s];
            FloatVector acc = FloatVector.zero(F);
            s = 0;
            for (; s < vecEnd; s += L) {
                FloatVector xv = FloatVector.fromArray(F, x, 0, cols, s);
                acc = FloatVector.fromArray(F, v, o + s).fma(xv, acc);
            }
            float sum = acc.reduceLanes(VectorOperators.ADD);
            for (; s < spr; s++) sum += v[o + s] * x[cols[s]];
            y[r] = sum;
        }
    }

    /** Obviously-correct y = W x over the dense expansion, in double. */
    public static void gemvReference(PackedNM w, float[] x, float[] y) {
        checkGemv(w, x, y);
        Matrix d = w.toDense();
        for (int r = 0; r < d.rows(); r++) {
            double s = 0;
            for (int c = 0; c < d.cols(); c++) s += (double) d.get(r, c) * x[c];
            y[r] = (float) s;
        }
    }

    private static void checkGemv(PackedNM w, float[] x, float[] y) {
        if (x.length < w.cols() || y.length < w.rows()) {
            throw new IllegalArgumentException("sparse gemv " + w.rows() + "x" + w.cols() + " with x[" + x.length + "], y[" + y.length + "]");
        }
    }

    // ---------------------------------------------------------------- GEMM

    /** Y [tokens, rows] = X [tokens, cols] * W^T. */
    public static Matrix gemm(Matrix x, PackedNM w) {
        if (x.cols() != w.cols()) throw new IllegalArgumentException("sparse gemm: x " + x.shape() + " vs weight " + w.rows() + "x" + w.cols());
        int t = x.rows();
        if (t < L) {
            Matrix out = new Matrix(t, w.rows());
            float[] row = new float[w.rows()];
            for (int i = 0; i < t; i++) {
                float[] xi = new float[w.cols()];
                System.arraycopy(x.data(), i * w.cols(), xi, 0, w.cols());
                gemv(w, xi, row);
                System.arraycopy(row, 0, out.data(), i * w.rows(), w.rows());
            }
            return out;
        }
        int tp = (t + TB - 1) / TB * TB; // padded token count
        float[] xt = transposePadded(x, tp);
        float[] yt = new float[w.rows() * tp];
        int[] sb = slotBase(w);
        int rows = w.rows();
        ThreadTeam.shared().forRange(0, rows, 4, (lo, hi) -> gemmRows(w, sb, xt, tp, yt, lo, hi));
        Matrix out = new Matrix(t, rows);
        float[] o = out.data();
        for (int r = 0; r < rows; r++) for (int i = 0; i < t; i++) o[i * rows + r] = yt[r * tp + i];
        return out;
    }

    private static float[] transposePadded(Matrix x, int tp) {
        int t = x.rows(), k = x.cols();
        float[] xt = new float[k * tp];
        float[] d = x.data();
        for (int i = 0; i < t; i++) for (int c = 0; c < k; c++) xt[c * tp + i] = d[i * k + c];
        return xt;
    }

    private static void gemmRows(PackedNM w, int[] sb, float[] xt, int tp, float[] yt, int r0, int r1) {
        float[] v = w.values();
        byte[] idx = w.index();
        int spr = w.slotsPerRow();
        int[] cols = new int[spr];
        for (int r = r0; r < r1; r++) {
            int o = r * spr;
            for (int s = 0; s < spr; s++) cols[s] = (sb[s] + idx[o + s]) * tp;
            for (int t0 = 0; t0 < tp; t0 += TB) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int s = 0; s < spr; s++) {
                    FloatVector vv = FloatVector.broadcast(F, v[o + s]);
                    int base = cols[s] + t0;
                    a0 = FloatVector.fromArray(F, xt, base).fma(vv, a0);
                    a1 = FloatVector.fromArray(F, xt, base + L).fma(vv, a1);
                    a2 = FloatVector.fromArray(F, xt, base + 2 * L).fma(vv, a2);
                    a3 = FloatVector.fromArray(F, xt, base + 3 * L).fma(vv, a3);
                }
                int yb = r * tp + t0;
                a0.intoArray(yt, yb);
                a1.intoArray(yt, yb + L);
                a2.intoArray(yt, yb + 2 * L);
                a3.intoArray(yt, yb + 3 * L);
            }
        }
    }

    /** Obviously-correct Y = X W^T over the dense expansion, in double. */
    public static Matrix gemmReference(Matrix x, PackedNM w) {
        Matrix d = w.toDense();
        Matrix out = new Matrix(x.rows(), d.rows());
        for (int i = 0; i < x.rows(); i++) {
            for (int r = 0; r < d.rows(); r++) {
                double s = 0;
                for (int c = 0; c < d.cols(); c++) s += (double) x.get(i, c) * d.get(r, c);
                out.set(i, r, (float) s);
            }
        }
        return out;
    }
}
