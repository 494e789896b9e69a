package dev.mixprune.grad;

import dev.mixprune.tensor.Matrix;

/**
 * The trainable entries of a [rows][cols] weight: a fixed mask, one bit per entry. Training a
 * pruned model with its mask fixed (recovery) updates the kept entries only, so every zero of the
 * pruned model stays zero and an N:M pattern stays valid. Kept entries are numbered row by row
 * ({@link #rowStart}), so per-entry optimizer state can be stored for the kept entries alone
 * (a quarter of the tensor at 75 % sparsity).
 */
public final class Mask {
    private final int rows, cols;
    private final long[] bits;
    /** Kept entries in rows [0, r): rowStart[rows] is the total. */
    private final int[] rowStart;

    private Mask(int rows, int cols, long[] bits) {
        this.rows = rows;
        this.cols = cols;
        this.bits = bits;
        this.rowStart = new int[rows + 1];
        for (int r = 0; r < rows; r++) {
            int n = 0;
            for (int j = 0, i = r * cols; j < cols; j++, i++) if (isKept(i)) n++;
            rowStart[r + 1] = rowStart[r] + n;
        }
    }

    /** Kept = every non-zero entry of {@code w} (a pruned weight: its zeros are what pruning removed). */
    public static Mask ofNonZeros(Matrix w) {
        long[] bits = new long[(w.size() + 63) >>> 6];
        float[] d = w.data();
        for (int i = 0; i < d.length; i++) if (d[i] != 0f) bits[i >>> 6] |= 1L << i;
        return new Mask(w.rows(), w.cols(), bits);
    }

    public int rows() { return rows; }

    public int cols() { return cols; }

    public boolean isKept(int i) { return (bits[i >>> 6] & (1L << i)) != 0; }

    /** Number of kept entries. */
    public int kept() { return rowStart[rows]; }

    /** Number of masked (zero) entries. */
    public long zeros() { return (long) rows * cols - kept(); }

    /** Index of row r's first kept entry among all kept entries (row-major). */
    public int rowStart(int r) { return rowStart[r]; }

    /** True when {@code w} is zero exactly where this mask is not kept, and non-zero where it is. */
    public boolean matchesNonZerosOf(Matrix w) {
        if (w.rows() != rows || w.cols() != cols) return false;
        float[] d = w.data();
        for (int i = 0; i < d.length; i++) if ((d[i] != 0f) != isKept(i)) return false;
        return true;
    }

    /** Bytes this mask holds. */
    public long bytes() { return 8L * bits.length + 4L * rowStart.length; }

    /** Bytes of a mask of a [rows][cols] weight. */
    public static long bytesFor(int rows, int cols) { return 8L * (((long) rows * cols + 63) >>> 6) + 4L * (rows + 1); }
}
