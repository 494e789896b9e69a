package dev.mixprune.sparse;

/**
 * A second execution layout of a packed N:M weight with 8-bit values, read only by the integer
 * decode GEMV for 256-bit machines ({@link SparseQ8ChunkKernels}); {@link NmTilesQ8} stays the
 * layout of every other kernel. AVX2 has no 16-bit variable shift and no cross-lane 16-bit
 * permute, but it has an in-lane byte shuffle ({@code vpshufb}, a 128-bit {@code ByteVector}
 * rearrange): it picks 16 input bytes out of 16. So the weight is cut into <b>chunks of 16
 * columns</b>, and R = M / N rows form a group whose kept values in one chunk are exactly 16
 * (kp = 16 N / M per row): one shuffle of one 16-byte input load picks the inputs of all 16.
 * <p>
 * Storage, per row group g and chunk c:
 * <ul>
 *   <li>{@link #q}: 16 quants at {@code (g * chunks + c) * 16}, row i of the group at bytes
 *       {@code i * kp .. i * kp + kp - 1} (its kept values of the chunk in canonical order).</li>
 *   <li>{@link #index}: per pair of chunks (32 columns, 32 kept values numbered j = 16 (c mod 2) +
 *       i * kp + k) the kept values' positions, laid out so that one broadcast, one 64-bit variable
 *       shift per 64-bit lane ({@code vpsrlvq}) and a byte mask give every byte its own field.
 *       M = 4: one long, field j (2 bits, the index in its group) at bit 8 (j mod 8) + 2 (j / 8); the
 *       kernel adds the group's first column (4 (k / N)). M = 8 or 16: two longs (j / 16), field j at
 *       bit 8 (j mod 8) + 4 ((j mod 16) / 8), a nibble holding the column in the chunk (0..15): 4 bits
 *       per kept value where 3 would do for M = 8, in exchange for no add.</li>
 *   <li>{@link #scales}: F16, per group and block of 32 canonical slots the R rows' scales together.</li>
 * </ul>
 * Rows past {@code rows} in the last group are zero. Needs M in {4, 8, 16}, R in {2, 4, 8} and
 * whole 32-column input blocks ({@link #supports}).
 */
final class ChunkTilesQ8 {
    final int rows, cols, n, m;
    /** Rows per group (M / N) and kept values per row and chunk (16 / R). */
    final int rowsPerGroup, perRowChunk;
    final int groups, chunks, blocksPerRow;
    /** Longs of index per pair of chunks: 1 (M = 4) or 2. */
    final int longsPerPair;
    final byte[] q;
    final long[] index;
    final short[] scales;

    static boolean supports(int rows, int cols, int n, int m) {
        if (m != 4 && m != 8 && m != 16 || n < 1 || m % n != 0) return false;
        int r = m / n;
        return (r == 2 || r == 4 || r == 8) && cols % 32 == 0 && cols > 0 && rows > 0;
    }

    private ChunkTilesQ8(int rows, int cols, int n, int m) {
        if (!supports(rows, cols, n, m)) throw new IllegalArgumentException("no 16-column chunk layout for a " + rows + "x" + cols + " " + n + ":" + m + " weight");
        this.rows = rows;
        this.cols = cols;
        this.n = n;
        this.m = m;
        this.rowsPerGroup = m / n;
        this.perRowChunk = 16 / rowsPerGroup;
        this.groups = (rows + rowsPerGroup - 1) / rowsPerGroup;
        this.chunks = cols / 16;
        this.blocksPerRow = PackedNMQ8.blocksPerRow(cols / m * n);
        this.longsPerPair = m == 4 ? 1 : 2;
        long slots = (long) groups * chunks * 16;
        if (slots > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("packed " + rows + "x" + cols + " layer is too large for one array");
        this.q = new byte[(int) slots];
        this.index = new long[groups * (chunks / 2) * longsPerPair];
        this.scales = new short[groups * blocksPerRow * rowsPerGroup];
    }

    /** From canonical arrays: quants and in-group indices [rows][slotsPerRow], F16 scales [rows][blocksPerRow]. */
    static ChunkTilesQ8 fromCanonical(int rows, int cols, int n, int m, byte[] cq, short[] cs, byte[] ci) {
        ChunkTilesQ8 t = new ChunkTilesQ8(rows, cols, n, m);
        int spr = cols / m * n, kp = t.perRowChunk, rpg = t.rowsPerGroup;
        for (int r = 0; r < rows; r++) {
            int g = r / rpg, i = r % rpg;
            for (int s = 0; s < spr; s++) {
                int c = s / kp, k = s % kp;
                t.q[(g * t.chunks + c) * 16 + i * kp + k] = cq[r * spr + s];
                t.putField(g, c, i * kp + k, m == 4 ? ci[r * spr + s] : m * (k / n) + ci[r * spr + s]);
            }
            for (int b = 0; b < t.blocksPerRow; b++) t.scales[(g * t.blocksPerRow + b) * rpg + i] = cs[r * t.blocksPerRow + b];
        }
        return t;
    }

    /** Sets the field of kept value {@code inChunk} (0..15) of chunk c of group g. */
    private void putField(int g, int c, int inChunk, int value) {
        int j = 16 * (c % 2) + inChunk, pair = g * (chunks / 2) + c / 2;
        if (longsPerPair == 1) index[pair] |= (long) value << (8 * (j % 8) + 2 * (j / 8));
        else index[2 * pair + j / 16] |= (long) value << (8 * (j % 8) + 4 * ((j % 16) / 8));
    }

    /** The column of canonical slot s of row r (for tests: the layout read back). */
    int column(int r, int s) {
        int g = r / rowsPerGroup, i = r % rowsPerGroup, c = s / perRowChunk, k = s % perRowChunk;
        int j = 16 * (c % 2) + i * perRowChunk + k, pair = g * (chunks / 2) + c / 2;
        int inChunk = longsPerPair == 1
                ? 4 * (k / n) + (int) (index[pair] >>> (8 * (j % 8) + 2 * (j / 8)) & 3)
                : (int) (index[2 * pair + j / 16] >>> (8 * (j % 8) + 4 * ((j % 16) / 8)) & 15);
        return 16 * c + inChunk;
    }

    /** The quant of canonical slot s of row r (for tests). */
    byte quant(int r, int s) {
        return q[(r / rowsPerGroup * chunks + s / perRowChunk) * 16 + r % rowsPerGroup * perRowChunk + s % perRowChunk];
    }

    /** The F16 scale of block b of row r (for tests). */
    short scale(int r, int b) { return scales[(r / rowsPerGroup * blocksPerRow + b) * rowsPerGroup + r % rowsPerGroup]; }

    long memoryBytes() { return (long) q.length + 8L * index.length + 2L * scales.length; }
}
