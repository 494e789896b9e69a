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
 * Decode product y = W x with a packed N:M weight (the prefill product is {@link SparsePrefill}).
 * Only the kept values are read and multiplied, so the work and the bytes read scale with N/M.
 * References: {@link #gemvReference} and {@link #gemmReference} (dense expansion + plain loops).
 */
public final class SparseKernels {
    private SparseKernels() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4));
    /** Vector lanes of this machine's float species: the lane count {@link NmTiles} is laid out for. */
    static final int LANES = F.length();
    private static final int L = LANES;
    /** Slots below which a product runs on the calling thread alone (thread hand-off costs more). */
    private static final int SMALL = 1 << 15;

    // ---------------------------------------------------------------- GEMV

    /** y[0..rows) = W x. */
    public static void gemv(PackedNM w, float[] x, float[] y) {
        checkGemv(w, x, y);
        NmTiles t = w.tiles();
        float[] xp = paddedInput(t, x);
        if ((long) w.rows() * w.slotsPerRow() < SMALL) gemvGroups(t, xp, y, 0, t.rowGroups);
        else ThreadTeam.shared().forRange(0, t.rowGroups, 8, (lo, hi) -> gemvGroups(t, xp, y, lo, hi));
    }

    /** x itself when every window's two-vector load stays inside it, else a zero-padded copy. */
    private static float[] paddedInput(NmTiles t, float[] x) {
        int need = t.windows == 0 ? 0 : (t.windows - 1) * t.window + 2 * L;
        if (x.length >= need) return x;
        float[] xp = new float[need];
        System.arraycopy(x, 0, xp, 0, t.cols);
        return xp;
    }

    private static void gemvGroups(NmTiles t, float[] x, float[] y, int g0, int g1) {
        float[] lanes = new float[t.vectors * L];
        boolean vector = t.permutable() && t.lanes == L;
        for (int g = g0; g < g1; g++) {
            for (int v = 0; v < t.vectors; v++) {
                if (vector) gemvVector(t, x, g, v, lanes, v * L);
                else gemvScalar(t, x, g, v, lanes, v * L);
            }
            finishRows(t, g, lanes, x, y);
        }
    }

    /**
     * One vector of one row group along all windows, four windows per step: load each window's two
     * x vectors, permute each lane's input into place (two-source permute on the lane's column
     * within the window), fused multiply-add with the kept values. Four accumulators hide the FMA
     * latency.
     */
    private static void gemvVector(NmTiles t, float[] x, int g, int v, float[] lanes, int at) {
        float[] val = t.values;
        byte[] idx = t.index;
        int win = t.window, nw = t.windows;
        int vp = (g * t.vectors + v) * nw * L;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int w = 0;
        for (; w + 3 < nw; w += 4, vp += 4 * L) {
            int c = w * win;
            a0 = FloatVector.fromArray(F, val, vp).fma(pick(cols(idx, vp), x, c), a0);
            a1 = FloatVector.fromArray(F, val, vp + L).fma(pick(cols(idx, vp + L), x, c + win), a1);
            a2 = FloatVector.fromArray(F, val, vp + 2 * L).fma(pick(cols(idx, vp + 2 * L), x, c + 2 * win), a2);
            a3 = FloatVector.fromArray(F, val, vp + 3 * L).fma(pick(cols(idx, vp + 3 * L), x, c + 3 * win), a3);
        }
        for (; w < nw; w++, vp += L) a0 = FloatVector.fromArray(F, val, vp).fma(pick(cols(idx, vp), x, w * win), a0);
        a0.add(a1).add(a2.add(a3)).intoArray(lanes, at);
    }

    private static IntVector cols(byte[] idx, int p) {
        return (IntVector) ByteVector.fromArray(B, idx, p).convertShape(VectorOperators.B2I, I, 0);
    }

    /** The inputs x[c + col[lane]] (col < 2L), from the two x vectors at c. */
    private static FloatVector pick(IntVector col, float[] x, int c) {
        IntVector lo = FloatVector.fromArray(F, x, c).reinterpretAsInts(), hi = FloatVector.fromArray(F, x, c + L).reinterpretAsInts();
        return col.selectFrom(lo, hi).reinterpretAsFloats();
    }

    /** The same sums in plain loops (windows wider than two vectors: M > 2L). */
    private static void gemvScalar(NmTiles t, float[] x, int g, int v, float[] lanes, int at) {
        int vp = (g * t.vectors + v) * t.windows * L;
        for (int l = 0; l < L; l++) {
            float s = 0f;
            for (int w = 0, p = vp + l; w < t.windows; w++, p += L) s += t.values[p] * x[w * t.window + t.index[p]];
            lanes[at + l] = s;
        }
    }

    /**
     * Splits the lanes of one row group into its rows (row rr owns lanes [rr*perRow, (rr+1)*perRow)
     * of the group's V vectors), adds each row's tail columns and stores y[row].
     */
    private static void finishRows(NmTiles t, int g, float[] lanes, float[] x, float[] y) {
        int tail0 = t.windows * t.window;
        for (int rr = 0; rr < t.rowsPerGroup; rr++) {
            int row = g * t.rowsPerGroup + rr;
            if (row >= t.rows) break;
            float s = 0f;
            for (int j = rr * t.perRow, e = j + t.perRow; j < e; j++) s += lanes[j];
            for (int k = 0, p = row * t.tailSlots; k < t.tailSlots; k++, p++) s += t.tailValues[p] * x[tail0 + t.tailIndex[p]];
            y[row] = s;
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

    // ---------------------------------------------------------------- GEMM (prefill: SparsePrefill)

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
