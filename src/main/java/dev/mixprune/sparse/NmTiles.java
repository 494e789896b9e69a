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
 * A lane's group within the window depends only on its vector v and lane (it is slot
 * t = (v*L + lane) mod perRow of its row: group t / N, see {@link #laneBase}), so only the in-group
 * index is stored: for M <= 16 as a nibble, two windows per byte (even window in the low nibble,
 * odd in the high one: position ((g*V + v) * ceil(windows/2) + w/2) * L + lane), so the bytes read
 * per kept value are 4 + 1/2; for M > 16 as a byte (position as for the values).
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
    /** In-group indices stored as nibbles (M <= 16), two windows per byte. */
    final boolean nibbles;
    /** Index bytes per (row group, vector): one per lane per window, or per window pair with nibbles. */
    final int indexStride;
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
        this.nibbles = m <= 16;
        this.indexStride = (nibbles ? (windows + 1) / 2 : windows) * lanes;
        long tileSlots = (long) rowGroups * vectors * windows * lanes;
        if (tileSlots > Integer.MAX_VALUE - 64 || (long) rows * tailSlots > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("packed " + rows + "x" + cols + " layer is too large for one array");
        }
        this.values = new float[(int) tileSlots];
        this.index = new byte[rowGroups * vectors * indexStride];
        this.tailValues = new float[rows * tailSlots];
        this.tailIndex = new byte[rows * tailSlots];
    }

    /** Canonical slots per row: ceil(cols / M) * N. */
    int slotsPerRow() { return windows * perRow + tailSlots; }

    /** Whether the vector kernel (two-source permute over a window of at most 2L inputs, nibble indices) applies. */
    boolean permutable() { return nibbles && window <= 2 * lanes; }

    /** Position in {@link #values} of the t-th slot (0 <= t < perRow) of row r in window w. */
    int tilePosition(int r, int w, int t) {
        int g = r / rowsPerGroup, j = (r % rowsPerGroup) * perRow + t;
        return ((g * vectors + j / lanes) * windows + w) * lanes + j % lanes;
    }

    /**
     * Where each slot of a row lives, the same for every row group: for row rr of a group and its
     * canonical slot s (< windows * perRow), at [rr * windows * perRow + s]: the value's offset from
     * the group's first value, the index byte's offset from the group's first index byte, the
     * nibble shift (0 or 4; 0 for byte indices) and the slot's column minus its in-group index.
     */
    record SlotMap(int[] valueOffset, int[] indexOffset, byte[] shift, int[] columnBase) {}

    SlotMap slotMap() {
        int whole = windows * perRow, n2 = rowsPerGroup * whole;
        int[] vo = new int[n2], io = new int[n2], cb = new int[n2];
        byte[] sh = new byte[n2];
        for (int rr = 0; rr < rowsPerGroup; rr++) {
            for (int s = 0; s < whole; s++) {
                int w = s / perRow, j = rr * perRow + s % perRow, v = j / lanes, lane = j % lanes, k = rr * whole + s;
                vo[k] = (v * windows + w) * lanes + lane;
                io[k] = nibbles ? v * indexStride + (w >> 1) * lanes + lane : (v * windows + w) * lanes + lane;
                sh[k] = (byte) (nibbles && (w & 1) == 1 ? 4 : 0);
                cb[k] = w * window + laneBase(v, lane);
            }
        }
        return new SlotMap(vo, io, sh, cb);
    }

    /** First column, within its window, of the group that lane {@code lane} of vector v holds. */
    int laneBase(int v, int lane) { return (v * lanes + lane) % perRow / n * m; }

    /** Column within window w of lane {@code lane} of vector v of row group g. */
    int column(int g, int v, int w, int lane) { return laneBase(v, lane) + inGroup(g, v, w, lane); }

    private int inGroup(int g, int v, int w, int lane) {
        int gv = g * vectors + v;
        if (!nibbles) return index[(gv * windows + w) * lanes + lane];
        int b = index[gv * indexStride + (w >> 1) * lanes + lane];
        return (w & 1) == 0 ? b & 15 : (b >> 4) & 15;
    }

    private void setInGroup(int g, int v, int w, int lane, int value) {
        int gv = g * vectors + v;
        if (!nibbles) {
            index[(gv * windows + w) * lanes + lane] = (byte) value;
            return;
        }
        int p = gv * indexStride + (w >> 1) * lanes + lane;
        index[p] = (byte) ((w & 1) == 0 ? (index[p] & 0xF0) | value : (index[p] & 0x0F) | value << 4);
    }

    /** Builds the tiles from canonical slot arrays ([rows][slotsPerRow], in-group indices). */
    static NmTiles fromCanonical(int rows, int cols, int n, int m, int lanes, float[] values, byte[] index) {
        NmTiles t = new NmTiles(rows, cols, n, m, lanes);
        int spr = t.slotsPerRow(), whole = t.windows * t.perRow;
        for (int r = 0; r < rows; r++) {
            int o = r * spr;
            int g = r / t.rowsPerGroup;
            for (int s = 0; s < whole; s++) {
                int w = s / t.perRow, k = s % t.perRow, j = (r % t.rowsPerGroup) * t.perRow + k;
                t.values[t.tilePosition(r, w, k)] = values[o + s];
                t.setInGroup(g, j / lanes, w, j % lanes, index[o + s]);
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
                int j = (r % rowsPerGroup) * perRow + s % perRow;
                out[r * spr + s] = (byte) inGroup(r / rowsPerGroup, j / lanes, s / perRow, j % lanes);
            }
            for (int k = 0; k < tailSlots; k++) out[r * spr + whole + k] = (byte) (tailIndex[r * tailSlots + k] - (k / n) * m);
        }
        return out;
    }

    /** Bytes held: tile and tail values, tile indices (nibbles or bytes) and tail index bytes. */
    long memoryBytes() { return 4L * values.length + index.length + 5L * tailValues.length; }

    private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }
}
