package dev.mixprune.sparse;

/**
 * The in-memory execution layout of a packed N:M weight with 8-bit values ({@link PackedNMQ8}):
 * the geometry of {@link NmTiles} (windows of W = M * floor(2L / M) inputs, R rows per group whose
 * slots of one window fill V whole L-lane vectors, storage order [row group][vector][window][lane]),
 * with per slot an int8 quant instead of a float and an in-group index of only b = ceil(log2 M)
 * bits, and per row and block of 32 canonical slots an F16 scale (value = scale * quant).
 * <p>
 * <b>Index bits.</b> The indices of one tile vector are stored together, L * b bits at byte
 * {@code vector * L * b / 8} of {@link #index}. When the lanes' fields fit in two 32-bit words
 * (b <= 64 / L: M <= 16 with 16 lanes, M <= 256 with 8), the kernel reads the vector's bits as one
 * little-endian long: even lanes hold their field at bit (lane / 2) * b, odd lanes at
 * (L / 2) * b + (lane / 2) * b (with L * b <= 32 there is one word: lane at lane * b). Broadcasting
 * the two words over int lanes, one variable shift and a mask give every lane its in-group index;
 * adding the lane's group base ({@link #groupBase}) gives its column in the window. Wider indices
 * (M > 16 on 16 lanes) are stored as one byte per lane, already the column in the window.
 * <p>
 * <b>Scales.</b> Blocks are 32 consecutive canonical slots of a row (the on-disk Q8_0 blocks of the
 * row's kept values), so whether a block lines up with windows depends on the lanes: when perRow
 * divides 32 (2:4, 2:8, 1:8, 4:8, ... with 8 or 16 lanes) every block covers K = 32 / perRow whole
 * windows of its row, for all rows of a group at the same window, and the kernel applies one scale
 * per lane per K windows ({@link #aligned}). Scales are stored per row group and block,
 * {@code scales[(group * blocksPerRow + block) * R + rowInGroup]}, so the R scales of a group's block
 * sit together. Other N:M (3:8, M = 5, ...) run a scalar kernel with a scale per slot.
 * <p>
 * Columns past the last whole window (a short tail) are kept per row ({@link #tailQ}, tail index =
 * column - windows * W, one byte). Rows past {@code rows} in the last group are zero padding.
 */
final class NmTilesQ8 {
    final int rows, cols, n, m, lanes;
    final int window, perRow, rowsPerGroup, vectors, windows, rowGroups, tailSlots;
    final int slotsPerRow, blocksPerRow;
    /** Bits per stored in-group index (b = ceil(log2 M)), or 8 for a byte holding the column in the window. */
    final int indexBits;
    /** True when the indices are b-bit fields (decoded with shifts), false for whole bytes. */
    final boolean bitIndex;
    /** Bytes of index data per tile vector. */
    final int indexBytesPerVector;
    /** True when every scale block covers whole windows ({@link #windowsPerBlock} of them). */
    final boolean aligned;
    final int windowsPerBlock;
    final byte[] q;
    final byte[] index;
    final short[] scales;
    final byte[] tailQ;
    final byte[] tailIndex;
    /** Per vector of a group and lane: the first column of the lane's group inside the window. */
    final int[] groupBase;

    NmTilesQ8(int rows, int cols, int n, int m, int lanes) {
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
        this.slotsPerRow = windows * perRow + tailSlots;
        this.blocksPerRow = (slotsPerRow + 31) / 32;
        int b = 32 - Integer.numberOfLeadingZeros(m - 1);
        this.bitIndex = b <= 64 / lanes && m <= 2 * lanes && lanes * b % 8 == 0;
        this.indexBits = bitIndex ? b : 8;
        this.indexBytesPerVector = lanes * indexBits / 8;
        this.aligned = m <= 2 * lanes && 32 % perRow == 0;
        this.windowsPerBlock = aligned ? 32 / perRow : 0;
        long tileSlots = (long) rowGroups * vectors * windows * lanes;
        if (tileSlots > Integer.MAX_VALUE - 64 || (long) rows * tailSlots > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("packed " + rows + "x" + cols + " layer is too large for one array");
        }
        this.q = new byte[(int) tileSlots];
        // +8: the kernel reads every vector's bits as a long.
        this.index = new byte[(int) (tileSlots / lanes * indexBytesPerVector) + 8];
        this.scales = new short[rowGroups * blocksPerRow * rowsPerGroup];
        this.tailQ = new byte[rows * tailSlots];
        this.tailIndex = new byte[rows * tailSlots];
        this.groupBase = new int[vectors * lanes];
        for (int j = 0; j < vectors * lanes; j++) groupBase[j] = (j % perRow) / n * m;
    }

    /** Position in {@link #q} of the t-th slot (0 <= t < perRow) of row r in window w (as {@link NmTiles#tilePosition}). */
    int tilePosition(int r, int w, int t) {
        int g = r / rowsPerGroup, j = (r % rowsPerGroup) * perRow + t;
        return ((g * vectors + j / lanes) * windows + w) * lanes + j % lanes;
    }

    /** Bit offset, inside its vector's bits, of the index field of lane l. */
    int fieldBit(int l) {
        if (lanes * indexBits <= 32) return l * indexBits;
        return (l % 2) * (lanes / 2) * indexBits + (l / 2) * indexBits;
    }

    private void putIndex(int position, int groupIndex, int t) {
        int vector = position / lanes, l = position % lanes;
        if (!bitIndex) {
            index[vector * indexBytesPerVector + l] = (byte) ((t / n) * m + groupIndex);
            return;
        }
        long bit = (long) vector * indexBytesPerVector * 8 + fieldBit(l);
        for (int k = 0; k < indexBits; k++) {
            if ((groupIndex >> k & 1) != 0) index[(int) ((bit + k) >> 3)] |= (byte) (1 << ((bit + k) & 7));
        }
    }

    /** The in-group index at a tile position. */
    int indexAt(int position, int t) {
        int vector = position / lanes, l = position % lanes;
        if (!bitIndex) return index[vector * indexBytesPerVector + l] - (t / n) * m;
        long bit = (long) vector * indexBytesPerVector * 8 + fieldBit(l);
        int v = 0;
        for (int k = 0; k < indexBits; k++) if ((index[(int) ((bit + k) >> 3)] >> ((bit + k) & 7) & 1) != 0) v |= 1 << k;
        return v;
    }

    int scaleSlot(int row, int block) { return ((row / rowsPerGroup) * blocksPerRow + block) * rowsPerGroup + row % rowsPerGroup; }

    /** Builds the tiles from canonical arrays: quants and in-group indices [rows][slotsPerRow], F16 scales [rows][blocksPerRow]. */
    static NmTilesQ8 fromCanonical(int rows, int cols, int n, int m, int lanes, byte[] q, short[] scales, byte[] index) {
        NmTilesQ8 t = new NmTilesQ8(rows, cols, n, m, lanes);
        int spr = t.slotsPerRow, whole = t.windows * t.perRow;
        if (q.length != rows * spr || index.length != rows * spr || scales.length != rows * t.blocksPerRow) {
            throw new IllegalArgumentException("packed q8 " + rows + "x" + cols + " " + n + ":" + m + ": wrong canonical array sizes");
        }
        for (int r = 0; r < rows; r++) {
            int o = r * spr;
            for (int s = 0; s < whole; s++) {
                int k = s % t.perRow, p = t.tilePosition(r, s / t.perRow, k);
                t.q[p] = q[o + s];
                t.putIndex(p, index[o + s], k);
            }
            for (int s = whole; s < spr; s++) {
                int k = s - whole;
                t.tailQ[r * t.tailSlots + k] = q[o + s];
                t.tailIndex[r * t.tailSlots + k] = (byte) ((k / n) * m + index[o + s]);
            }
            for (int b = 0; b < t.blocksPerRow; b++) t.scales[t.scaleSlot(r, b)] = scales[r * t.blocksPerRow + b];
        }
        return t;
    }

    byte[] canonicalQ() {
        int spr = slotsPerRow, whole = windows * perRow;
        byte[] out = new byte[rows * spr];
        for (int r = 0; r < rows; r++) {
            for (int s = 0; s < whole; s++) out[r * spr + s] = q[tilePosition(r, s / perRow, s % perRow)];
            System.arraycopy(tailQ, r * tailSlots, out, r * spr + whole, tailSlots);
        }
        return out;
    }

    byte[] canonicalIndex() {
        int spr = slotsPerRow, whole = windows * perRow;
        byte[] out = new byte[rows * spr];
        for (int r = 0; r < rows; r++) {
            for (int s = 0; s < whole; s++) {
                int k = s % perRow;
                out[r * spr + s] = (byte) indexAt(tilePosition(r, s / perRow, k), k);
            }
            for (int k = 0; k < tailSlots; k++) out[r * spr + whole + k] = (byte) (tailIndex[r * tailSlots + k] - (k / n) * m);
        }
        return out;
    }

    short[] canonicalScales() {
        short[] out = new short[rows * blocksPerRow];
        for (int r = 0; r < rows; r++) for (int b = 0; b < blocksPerRow; b++) out[r * blocksPerRow + b] = scales[scaleSlot(r, b)];
        return out;
    }

    /** Bytes held: quants, index bits (or bytes), F16 scales, tail quants and tail index bytes. */
    long memoryBytes() {
        return (long) q.length + index.length + 2L * scales.length + 2L * tailQ.length;
    }

    private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }
}
