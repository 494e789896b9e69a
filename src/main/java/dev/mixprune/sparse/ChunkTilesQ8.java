package dev.mixprune.sparse;

/**
 * A second execution layout of a packed N:M weight with 8-bit values, read only by the integer
 * decode GEMV {@link SparseQ8ChunkKernels} (written for AVX2, run wherever vectors have 256 bits
 * or more); {@link NmTilesQ8} stays the layout of every other kernel. AVX2 has no 16-bit variable shift and no cross-lane 16-bit
 * permute, but it has an in-lane byte shuffle ({@code vpshufb}, a 128-bit {@code ByteVector}
 * rearrange): it picks 16 input bytes out of 16. So the weight is cut into <b>chunks of 16
 * columns</b>, and R = M / N rows form a group whose kept values in one chunk are exactly 16
 * (kp = 16 N / M per row): one shuffle of one 16-byte input load picks the inputs of all 16.
 * <p>
 * Storage, per row group g and chunk c:
 * <ul>
 *   <li>{@link #q}: 16 quants at {@code (g * chunks + c) * 16}, row i of the group at bytes
 *       {@code i * kp .. i * kp + kp - 1} (its kept values of the chunk in canonical order).</li>
 *   <li>{@link #index}: per pair of chunks (32 columns) 16 bytes, byte i holding the column in the
 *       chunk (0..15) of kept value i of the first chunk in its low nibble and of kept value i of
 *       the second chunk in its high nibble (kept value i = row i / kp, its (i mod kp)-th). The
 *       shuffle reads only an index's low 4 bits once wrapped, so the kernel's controls are the 16
 *       bytes as loaded and the same shifted right by 4: one shift per 32 kept values. 4 bits per
 *       kept value where 2 (M = 4) or 3 (M = 8) would hold the index in its group: measured
 *       1.35x (2:4) and 1.5x (2:8) faster under AVX2 than decoding packed fields with a 64-bit shift,
 *       a mask and an add (session 10).</li>
 *   <li>{@link #scales}: per group and block of 32 canonical slots the R rows' scales together, as
 *       floats (the F16 values converted once, so the kernel spreads them over its lanes without a
 *       conversion; 2 bytes per 32 kept values more than F16).</li>
 * </ul>
 * Rows past {@code rows} in the last group are zero. Needs M in {4, 8, 16}, R in {2, 4, 8} and
 * whole 32-column input blocks ({@link #supports}).
 */
final class ChunkTilesQ8 {
    final int rows, cols, n, m;
    /** Rows per group (M / N) and kept values per row and chunk (16 / R). */
    final int rowsPerGroup, perRowChunk;
    final int groups, chunks, blocksPerRow;
    final byte[] q;
    final byte[] index;
    /** Padded with 8 zeros: the kernel loads 8 floats at a group's last block. */
    final float[] scales;

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
        long slots = (long) groups * chunks * 16;
        if (slots > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("packed " + rows + "x" + cols + " layer is too large for one array");
        this.q = new byte[(int) slots];
        this.index = new byte[(int) (slots / 2)];
        this.scales = new float[groups * blocksPerRow * rowsPerGroup + 8];
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
                t.index[(g * t.chunks + c - c % 2) * 8 + i * kp + k] |= (byte) ((m * (k / n) + ci[r * spr + s]) << (4 * (c % 2)));
            }
            for (int b = 0; b < t.blocksPerRow; b++) t.scales[(g * t.blocksPerRow + b) * rpg + i] = Float.float16ToFloat(cs[r * t.blocksPerRow + b]);
        }
        return t;
    }

    /** The column of canonical slot s of row r (for tests: the layout read back). */
    int column(int r, int s) {
        int g = r / rowsPerGroup, i = r % rowsPerGroup, c = s / perRowChunk, k = s % perRowChunk;
        return 16 * c + (index[(g * chunks + c - c % 2) * 8 + i * perRowChunk + k] >> (4 * (c % 2)) & 15);
    }

    /** The quant of canonical slot s of row r (for tests). */
    byte quant(int r, int s) {
        return q[(r / rowsPerGroup * chunks + s / perRowChunk) * 16 + r % rowsPerGroup * perRowChunk + s % perRowChunk];
    }

    /** The scale of block b of row r (for tests). */
    float scale(int r, int b) { return scales[(r / rowsPerGroup * blocksPerRow + b) * rowsPerGroup + r % rowsPerGroup]; }

    long memoryBytes() { return (long) q.length + index.length + 4L * scales.length; }
}
