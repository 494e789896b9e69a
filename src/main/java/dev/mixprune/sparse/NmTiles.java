package dev.mixprune.sparse;

/**
 * The in-memory execution layout of a packed N:M weight: the kept values regrouped so that the
 * decode kernel reads them as whole vectors whose inputs all lie in one small window of x.
 * <p>
 * The columns are cut into windows of {@code window} = M * floor(2L / M) inputs (L = vector lanes;
 * 32 for L = 16), so a window is a whole number of groups and fits in two x vectors; each row keeps
 * {@code perRow} = window / M * N slots of a window. Rows are taken {@code rowsPerGroup} at a time
 * (R = L / gcd(perRow, L)), so that R rows' slots of one window fill exactly {@code vectors}
 * (V = R * perRow / L) whole vectors. Storage order is [row group][vector][window][lane]: the
 * kernel runs, for one row group and one vector, along the windows with a fixed lane-to-row map,
 * loads the window's two x vectors, picks each lane's input with one two-source permute
 * (the lane's {@code index} is its column within the window), and fuses a multiply-add; the rows'
 * sums are split out of the lanes once per row group. No gathers, no per-slot arithmetic.
 * <p>
 * The index byte of a lane is its column within the window (< window <= 128), stored at the same
 * position as its value, so the bytes read per kept value are 4 + 1. (Storing only the in-group
 * index as a nibble would read 4 + 1/2, but decoding it costs more time than the bytes save:
 * measured 20-30 % slower on one thread, docs/benchmarks.md.)
 * <p>
 * Columns past the last whole window (a short tail) are kept per row in {@code tailValues} /
 * {@code tailIndex} (index = column - windows * window). Rows past {@code rows} in the last row
 * group are zero padding. For M > 2L the window is one group (window = M) and only the scalar
 * kernel applies.
 * <p>
 * Conversion to and from the canonical slot order of {@link PackedNM} (row r, slot s = group * N +
 * k, in-group index) is exact both ways, padding slots included.
 */
final class NmTiles {
    final int rows, cols, n, m, lanes;
    final int window, perRow, rowsPerGroup, vectors, windows, rowGroups, tailSlots;
    final float[] values;
    final byte[] index;
    final float[] tailValues;
    final byte[] tailIndex;

    private NmTiles(int rows, int cols, int n, int m, int lanes) {
        this.rows = rows;
        this.cols = cols;
        this.n = n;
        this.m = m;
        this.lanes = lanes;
        this.window = m <= 2 * lanes ? m * (2 * lanes / m) : m;
        this.perRow = window / m * n;
        this.rowsPerGroup = lanes / gcd(perRow, lanes);
        this.vectors = rowsPerGroup * perRow / lanes;
        this.windows = cols / window;
        int tailCols = cols - windows * window;
        this.tailSlots = (tailCols + m - 1) / m * n;
        this.rowGroups = (rows + rowsPerGroup - 1) / rowsPerGroup;
        long tileSlots = (long) rowGroups * vectors * windows * lanes;
        if (tileSlots > Integer.MAX_VALUE - 64 || (long) rows * tailSlots > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("packed " + rows + "x" + cols + " layer is too large for one array");
        }
        this.values = new float[(int) tileSlots];
        this.index = new byte[(int) tileSlots];
        this.tailValues = new float[rows * tailSlots];
        this.tailIndex = new byte[rows * tailSlots];
    }

    /** Canonical slots per row: ceil(cols / M) * N. */
    int slotsPerRow() { return windows * perRow + tailSlots; }

    /** Whether the vector kernel (two-source permute over a window of at most 2L inputs) applies. */
    boolean permutable() { return window <= 2 * lanes; }

    /** Position in {@link #values} of the t-th slot (0 <= t < perRow) of row r in window w. */
    int tilePosition(int r, int w, int t) {
        int g = r / rowsPerGroup, j = (r % rowsPerGroup) * perRow + t;
        return ((g * vectors + j / lanes) * windows + w) * lanes + j % lanes;
    }

    /** Builds the tiles from canonical slot arrays ([rows][slotsPerRow], in-group indices). */
    static NmTiles fromCanonical(int rows, int cols, int n, int m, int lanes, float[] values, byte[] index) {
        NmTiles t = new NmTiles(rows, cols, n, m, lanes);
        int spr = t.slotsPerRow(), whole = t.windows * t.perRow;
        for (int r = 0; r < rows; r++) {
            int o = r * spr;
            for (int s = 0; s < whole; s++) {
                int k = s % t.perRow, p = t.tilePosition(r, s / t.perRow, k);
                t.values[p] = values[o + s];
                t.index[p] = (byte) ((k / n) * m + index[o + s]);
            }
            for (int s = whole; s < spr; s++) {
                int k = s - whole;
                t.tailValues[r * t.tailSlots + k] = values[o + s];
                t.tailIndex[r * t.tailSlots + k] = (byte) ((k / n) * m + index[o + s]);
            }
        }
        return t;
    }

    /** The kept values in canonical slot order ([rows][slotsPerRow]). */
    float[] canonicalValues() {
        int spr = slotsPerRow(), whole = windows * perRow;
        float[] out = new float[rows * spr];
        for (int r = 0; r < rows; r++) {
            for (int s = 0; s < whole; s++) out[r * spr + s] = values[tilePosition(r, s / perRow, s % perRow)];
            System.arraycopy(tailValues, r * tailSlots, out, r * spr + whole, tailSlots);
        }
        return out;
    }

    /** The in-group indices in canonical slot order ([rows][slotsPerRow]). */
    byte[] canonicalIndex() {
        int spr = slotsPerRow(), whole = windows * perRow;
        byte[] out = new byte[rows * spr];
        for (int r = 0; r < rows; r++) {
            for (int s = 0; s < whole; s++) {
                int k = s % perRow;
                out[r * spr + s] = (byte) (index[tilePosition(r, s / perRow, k)] - (k / n) * m);
            }
            for (int k = 0; k < tailSlots; k++) out[r * spr + whole + k] = (byte) (tailIndex[r * tailSlots + k] - (k / n) * m);
        }
        return out;
    }

    /** Bytes held: every tile and tail slot as a float plus a column byte. */
    long memoryBytes() { return 5L * values.length + 5L * tailValues.length; }

    private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }
}
