package dev.mixprune.sparse;

import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;

/**
 * A [rows][cols] weight whose every group of M consecutive inputs of a row holds at most N
 * non-zeros, stored as the N kept values of each group plus their in-group positions.
 * <p>
 * Canonical slot order (the on-disk order, docs/formats.md): groups per row G = ceil(cols / M);
 * slot s of row r (0 <= s < G*N) is number {@code r*G*N + s}; its group is s / N and its input
 * column {@code (s / N) * M + index[s]}. Within a group the kept positions are ascending; unused
 * slots (a group with fewer than N non-zeros, or a short tail group) hold value 0 and repeat a
 * valid position, so kernels never branch. On disk an index takes ceil(log2 M) bits.
 * <p>
 * In memory the slots are held only in the kernels' tiled order ({@link NmTiles}: kept values plus
 * one index byte each); {@link #values()} and {@link #index()} rebuild the canonical arrays.
 */
public final class PackedNM implements LinearWeight {
    private final int rows, cols, n, m, groups;
    private final NmTiles tiles;

    /** From the canonical slot order (values and in-group indices, [rows][slotsPerRow]); the arrays are not kept. */
    public PackedNM(int rows, int cols, int n, int m, float[] values, byte[] index) {
        if (m < 2 || m > 128 || n < 1 || n > m) throw new IllegalArgumentException("bad N:M " + n + ":" + m);
        this.rows = rows;
        this.cols = cols;
        this.n = n;
        this.m = m;
        this.groups = (cols + m - 1) / m;
        long slots = (long) rows * groups * n;
        if (values.length != slots || index.length != slots) {
            throw new IllegalArgumentException("packed " + rows + "x" + cols + " " + n + ":" + m + " needs " + slots + " slots, got "
                    + values.length + " values and " + index.length + " indices");
        }
        this.tiles = NmTiles.fromCanonical(rows, cols, n, m, SparseKernels.LANES, values, index);
    }

    /** Packs a dense matrix that already satisfies N:M (throws if a group holds more than N non-zeros). */
    public static PackedNM pack(Matrix w, int n, int m) {
        int rows = w.rows(), cols = w.cols(), groups = (cols + m - 1) / m;
        float[] vals = new float[rows * groups * n];
        byte[] idx = new byte[vals.length];
        float[] d = w.data();
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                int base = r * cols + g * m, len = Math.min(m, cols - g * m), slot = (r * groups + g) * n, k = 0;
                for (int j = 0; j < len; j++) {
                    float v = d[base + j];
                    if (v == 0f) continue;
                    if (k == n) {
                        throw new IllegalArgumentException("row " + r + ", group " + g + " (columns " + (g * m) + ".." + (g * m + len - 1)
                                + ") has more than " + n + " non-zeros: not " + n + ":" + m + " sparse");
                    }
                    vals[slot + k] = v;
                    idx[slot + k] = (byte) j;
                    k++;
                }
                byte pad = k > 0 ? idx[slot + k - 1] : 0;
                for (; k < n; k++) idx[slot + k] = pad;
            }
        }
        return new PackedNM(rows, cols, n, m, vals, idx);
    }

    /** The densest N (max non-zeros in any group) a matrix has for group size M. */
    public static int maxNonZerosPerGroup(Matrix w, int m) {
        int best = 0;
        float[] d = w.data();
        for (int r = 0; r < w.rows(); r++) {
            for (int c0 = 0; c0 < w.cols(); c0 += m) {
                int k = 0;
                for (int j = c0; j < Math.min(c0 + m, w.cols()); j++) if (d[r * w.cols() + j] != 0f) k++;
                best = Math.max(best, k);
            }
        }
        return best;
    }

    public Matrix toDense() {
        Matrix out = new Matrix(rows, cols);
        float[] d = out.data(), values = values();
        byte[] index = index();
        for (int r = 0; r < rows; r++) {
            for (int s = 0; s < groups * n; s++) {
                int slot = r * groups * n + s;
                float v = values[slot];
                if (v != 0f) d[r * cols + (s / n) * m + index[slot]] = v;
            }
        }
        return out;
    }

    public int rows() { return rows; }
    public int cols() { return cols; }
    public int n() { return n; }
    public int m() { return m; }
    public int groupsPerRow() { return groups; }
    public int slotsPerRow() { return groups * n; }
    /** A new array of the kept values in canonical slot order ([rows][slotsPerRow]). */
    public float[] values() { return tiles.canonicalValues(); }
    /** A new array of the in-group indices in canonical slot order ([rows][slotsPerRow]). */
    public byte[] index() { return tiles.canonicalIndex(); }
    NmTiles tiles() { return tiles; }

    /** Bits per stored in-group index on disk. */
    public int indexBits() { return 32 - Integer.numberOfLeadingZeros(m - 1); }

    /** Bytes on disk with values of {@code valueBytes} (4 for F32, 2 for F16) and packed indices. */
    public long storedBytes(int valueBytes) {
        long slots = (long) rows * groups * n;
        return slots * valueBytes + (slots * indexBits() + 7) / 8;
    }

    public long denseBytesF32() { return 4L * rows * cols; }

    /** In memory: float values and one byte per index (tiles, incl. the last row group's padding). */
    @Override public long memoryBytes() { return tiles.memoryBytes(); }

    /** Number of stored slots that hold a non-zero value (padding rows hold zeros). */
    public long nonZeros() {
        long k = 0;
        for (float v : tiles.values) if (v != 0f) k++;
        for (float v : tiles.tailValues) if (v != 0f) k++;
        return k;
    }

    @Override public String toString() { return "PackedNM[" + rows + "x" + cols + ", " + n + ":" + m + "]"; }
}
