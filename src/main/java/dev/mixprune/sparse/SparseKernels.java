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

    // ---------------------------------------------------------------- GEMM

    /**
     * Y [tokens, rows] = X [tokens, cols] * W^T. X is transposed (tokens padded to a multiple of L)
     * so that one kept value, broadcast, multiplies L tokens' inputs in one FMA: per slot, one
     * broadcast and tokens/L FMAs, no permutes (a permute per token costs more than the FMAs it
     * saves once there are many tokens). Blocks of 4L tokens keep four accumulators; a remaining
     * block of L tokens spreads the slots over four accumulators to hide the FMA latency.
     */
    public static Matrix gemm(Matrix x, PackedNM w) {
        if (x.cols() != w.cols()) throw new IllegalArgumentException("sparse gemm: x " + x.shape() + " vs weight " + w.rows() + "x" + w.cols());
        int tokens = x.rows(), rows = w.rows(), cols = w.cols();
        Matrix out = new Matrix(tokens, rows);
        if (tokens < GEMM_MIN_TOKENS) {
            float[] xi = new float[cols], yi = new float[rows];
            for (int i = 0; i < tokens; i++) {
                System.arraycopy(x.data(), i * cols, xi, 0, cols);
                gemv(w, xi, yi);
                System.arraycopy(yi, 0, out.data(), i * rows, rows);
            }
            return out;
        }
        NmTiles t = w.tiles();
        int tp = (tokens + L - 1) / L * L;
        float[] xt = transposePadded(x, tp);
        float[] yt = new float[t.rowGroups * t.rowsPerGroup * tp];
        int[] offsets = t.rowSlotOffsets();
        ThreadTeam.shared().forRange(0, t.rowGroups, 1, (lo, hi) -> gemmGroups(t, offsets, xt, tp, yt, lo, hi));
        float[] o = out.data();
        for (int r = 0; r < rows; r++) for (int i = 0; i < tokens; i++) o[i * rows + r] = yt[r * tp + i];
        return out;
    }

    /** Fewer tokens than this go through {@link #gemv} one by one. */
    private static final int GEMM_MIN_TOKENS = 4;

    private static float[] transposePadded(Matrix x, int tp) {
        int t = x.rows(), k = x.cols();
        float[] xt = new float[k * tp];
        float[] d = x.data();
        for (int i = 0; i < t; i++) for (int c = 0; c < k; c++) xt[c * tp + i] = d[i * k + c];
        return xt;
    }

    /** Bytes of transposed input one column tile of the prefill kernel may span (stays in L1). */
    private static final int GEMM_TILE_BYTES = 16 << 10;
    /** Bytes of packed weights (row groups) the prefill kernel keeps in L2 while the column tiles pass. */
    private static final int GEMM_BLOCK_BYTES = 256 << 10;

    /**
     * Blocks of row groups (about 256 KiB of weights, kept in L2) and, inside a block, column tiles
     * (a few windows, so that the tile's rows of xt stay in L1 while the block's rows pass over it):
     * each row's slots of the tile are gathered into val/col and their products added into the
     * row's tokens in yt; the tail columns come last.
     */
    private static void gemmGroups(NmTiles t, int[] offsets, float[] xt, int tp, float[] yt, int g0, int g1) {
        int tileWindows = Math.max(1, GEMM_TILE_BYTES / (4 * t.window * tp));
        int[] col = new int[Math.max(tileWindows * t.perRow, t.tailSlots)];
        float[] val = new float[col.length];
        int groupSize = t.vectors * t.windows * L;
        int block = Math.max(1, GEMM_BLOCK_BYTES / Math.max(1, 5 * groupSize));
        for (int b0 = g0; b0 < g1; b0 += block) {
            int b1 = Math.min(g1, b0 + block);
            for (int w0 = 0; w0 < t.windows; w0 += tileWindows) {
                int w1 = Math.min(t.windows, w0 + tileWindows);
                for (int g = b0; g < b1; g++) tileRows(t, offsets, g, w0, w1, val, col, xt, tp, yt);
            }
        }
        if (t.tailSlots == 0) return;
        for (int g = g0; g < g1; g++) {
            for (int rr = 0; rr < t.rowsPerGroup; rr++) {
                int row = g * t.rowsPerGroup + rr;
                if (row >= t.rows) break;
                for (int k = 0, p = row * t.tailSlots; k < t.tailSlots; k++, p++) {
                    val[k] = t.tailValues[p];
                    col[k] = (t.windows * t.window + t.tailIndex[p]) * tp;
                }
                accumulateRow(val, col, t.tailSlots, xt, tp, yt, row * tp);
            }
        }
    }

    /** Adds the products of windows [w0, w1) of row group g's rows into their tokens in yt. */
    private static void tileRows(NmTiles t, int[] offsets, int g, int w0, int w1, float[] val, int[] col, float[] xt, int tp, float[] yt) {
        int whole = t.windows * t.perRow, groupSize = t.vectors * t.windows * L;
        int s0 = w0 * t.perRow, s1 = w1 * t.perRow;
        for (int rr = 0; rr < t.rowsPerGroup; rr++) {
            int row = g * t.rowsPerGroup + rr;
            if (row >= t.rows) break;
            for (int s = s0, k = rr * whole + s0, i = 0; s < s1; s++, k++, i++) {
                int p = g * groupSize + offsets[k];
                val[i] = t.values[p];
                col[i] = ((s / t.perRow) * t.window + t.index[p]) * tp;
            }
            accumulateRow(val, col, s1 - s0, xt, tp, yt, row * tp);
        }
    }

    /** yt[at .. at+tp) += sum over the slots of val[s] * xt[col[s] .. + tp). */
    private static void accumulateRow(float[] val, int[] col, int slots, float[] xt, int tp, float[] yt, int at) {
        int t0 = 0;
        for (; t0 + 4 * L <= tp; t0 += 4 * L) broadcastFour(val, col, slots, xt, t0, yt, at + t0);
        for (; t0 < tp; t0 += L) broadcastOne(val, col, slots, xt, t0, yt, at + t0);
    }

    /** y[at .. at+4L) += sum over slots of val[s] * xt[col[s] + t0 .. + 4L). */
    private static void broadcastFour(float[] val, int[] col, int slots, float[] xt, int t0, float[] yt, int at) {
        FloatVector a0 = FloatVector.fromArray(F, yt, at), a1 = FloatVector.fromArray(F, yt, at + L);
        FloatVector a2 = FloatVector.fromArray(F, yt, at + 2 * L), a3 = FloatVector.fromArray(F, yt, at + 3 * L);
        for (int s = 0; s < slots; s++) {
            FloatVector v = FloatVector.broadcast(F, val[s]);
            int b = col[s] + t0;
            a0 = FloatVector.fromArray(F, xt, b).fma(v, a0);
            a1 = FloatVector.fromArray(F, xt, b + L).fma(v, a1);
            a2 = FloatVector.fromArray(F, xt, b + 2 * L).fma(v, a2);
            a3 = FloatVector.fromArray(F, xt, b + 3 * L).fma(v, a3);
        }
        a0.intoArray(yt, at);
        a1.intoArray(yt, at + L);
        a2.intoArray(yt, at + 2 * L);
        a3.intoArray(yt, at + 3 * L);
    }

    /** y[at .. at+L) += sum over slots of val[s] * xt[col[s] + t0 .. + L), slots spread over four accumulators. */
    private static void broadcastOne(float[] val, int[] col, int slots, float[] xt, int t0, float[] yt, int at) {
        FloatVector a0 = FloatVector.fromArray(F, yt, at), a1 = FloatVector.zero(F), a2 = a1, a3 = a1;
        int s = 0;
        for (; s + 3 < slots; s += 4) {
            a0 = FloatVector.fromArray(F, xt, col[s] + t0).fma(FloatVector.broadcast(F, val[s]), a0);
            a1 = FloatVector.fromArray(F, xt, col[s + 1] + t0).fma(FloatVector.broadcast(F, val[s + 1]), a1);
            a2 = FloatVector.fromArray(F, xt, col[s + 2] + t0).fma(FloatVector.broadcast(F, val[s + 2]), a2);
            a3 = FloatVector.fromArray(F, xt, col[s + 3] + t0).fma(FloatVector.broadcast(F, val[s + 3]), a3);
        }
        for (; s < slots; s++) a0 = FloatVector.fromArray(F, xt, col[s] + t0).fma(FloatVector.broadcast(F, val[s]), a0);
        a0.add(a1).add(a2.add(a3)).intoArray(yt, at);
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
