package dev.mixprune.sparse;

import dev.mixprune.quant.GgmlBlocks;
import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;

/**
 * A packed N:M weight ({@link PackedNM}'s canonical slots: N kept values per group of M inputs plus
 * their in-group positions) whose kept values are 8-bit: each row's canonical slots are cut into
 * blocks of 32 (the last one padded with zero slots), and every block is quantized like a ggml
 * Q8_0 block ({@link GgmlBlocks#quantizeQ8Block}: F16 scale amax / 127, int8 quants rounded half
 * away from zero). Value of a slot = scale of its block * quant.
 * <p>
 * Stored bytes per kept value: 1 (quant) + ceil(log2 M) / 8 (index) + 2 / 32 (scale): 1.31 for 2:4
 * (0.66 bytes per dense weight, against 1.06 for a dense Q8_0 weight) and 1.44 for 2:8 (0.36 per
 * dense weight, against 0.56 for Q4_0). In memory the kernel layout {@link NmTilesQ8} holds the same
 * bits in another order.
 */
public final class PackedNMQ8 implements LinearWeight {
    private final int rows, cols, n, m, groups;
    private final NmTilesQ8 tiles;
    /** The 16-column chunk layout of the integer decode GEMV {@link SparseQ8ChunkKernels}, built on the first decode product that needs it. */
    private volatile ChunkTilesQ8 chunkTiles;

    PackedNMQ8(int rows, int cols, int n, int m, byte[] q, short[] scales, byte[] index) {
        if (m < 2 || m > 128 || n < 1 || n > m) throw new IllegalArgumentException("bad N:M " + n + ":" + m);
        this.rows = rows;
        this.cols = cols;
        this.n = n;
        this.m = m;
        this.groups = (cols + m - 1) / m;
        this.tiles = NmTilesQ8.fromCanonical(rows, cols, n, m, SparseKernels.LANES, q, scales, index);
    }

    /** The 8-bit form of a packed weight: each row's kept values quantized in blocks of 32 slots. */
    public static PackedNMQ8 quantize(PackedNM p) {
        int rows = p.rows(), spr = p.slotsPerRow(), bpr = blocksPerRow(spr);
        float[] values = p.values();
        byte[] q = new byte[rows * spr];
        short[] scales = new short[rows * bpr];
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < bpr; b++) {
                int s0 = b * 32, len = Math.min(32, spr - s0);
                scales[r * bpr + b] = GgmlBlocks.quantizeQ8Block(values, r * spr + s0, len, q, r * spr + s0);
            }
        }
        return new PackedNMQ8(rows, p.cols(), p.n(), p.m(), q, scales, p.index());
    }

    /**
     * From canonical arrays as a packed GGUF stores them: quants and in-group indices
     * [rows][slotsPerRow], F16 scales [rows][ceil(slotsPerRow / 32)]. Indices must be valid for
     * their groups (the reader checks them).
     */
    public static PackedNMQ8 of(int rows, int cols, int n, int m, byte[] q, short[] scales, byte[] index) {
        return new PackedNMQ8(rows, cols, n, m, q, scales, index);
    }

    static int blocksPerRow(int slotsPerRow) { return (slotsPerRow + 31) / 32; }

    /** The float form: values scale * quant, the same kept positions. */
    public PackedNM dequantize() {
        int spr = slotsPerRow(), bpr = blocksPerRow(spr);
        byte[] q = tiles.canonicalQ();
        short[] sc = tiles.canonicalScales();
        float[] v = new float[q.length];
        for (int r = 0; r < rows; r++) {
            for (int s = 0; s < spr; s++) v[r * spr + s] = Float.float16ToFloat(sc[r * bpr + s / 32]) * q[r * spr + s];
        }
        return new PackedNM(rows, cols, n, m, v, tiles.canonicalIndex());
    }

    /** The dense expansion of the dequantized values. */
    public Matrix toDense() { return dequantize().toDense(); }

    public int rows() { return rows; }
    public int cols() { return cols; }
    public int n() { return n; }
    public int m() { return m; }
    public int slotsPerRow() { return groups * n; }
    public int blocksPerRow() { return blocksPerRow(slotsPerRow()); }
    public int indexBits() { return 32 - Integer.numberOfLeadingZeros(m - 1); }
    NmTilesQ8 tiles() { return tiles; }

    /**
     * The {@link ChunkTilesQ8} layout of this weight ({@link ChunkTilesQ8#supports} must hold),
     * built once, on first use: only decode reads it, and it is a second copy of the kept values
     * (about the size of {@link #tiles}), so commands that never decode never hold it.
     */
    ChunkTilesQ8 chunkTiles() {
        ChunkTilesQ8 c = chunkTiles;
        if (c == null) {
            synchronized (this) {
                c = chunkTiles;
                if (c == null) chunkTiles = c = ChunkTilesQ8.fromCanonical(rows, cols, n, m, tiles.canonicalQ(), tiles.canonicalScales(), tiles.canonicalIndex());
            }
        }
        return c;
    }

    /** Quants in canonical slot order ([rows][slotsPerRow]). */
    public byte[] quants() { return tiles.canonicalQ(); }
    /** F16 scales ([rows][blocksPerRow]). */
    public short[] scales() { return tiles.canonicalScales(); }
    /** In-group indices in canonical slot order ([rows][slotsPerRow]). */
    public byte[] index() { return tiles.canonicalIndex(); }

    /**
     * The kept values as a packed GGUF stores them: per row ceil(slotsPerRow / 32) ggml Q8_0 blocks
     * (F16 scale, 32 quants; slots past the row's end are zero), rows one after the other.
     */
    public byte[] q8Blocks() {
        int spr = slotsPerRow(), bpr = blocksPerRow();
        byte[] q = tiles.canonicalQ();
        short[] sc = tiles.canonicalScales();
        byte[] out = new byte[rows * bpr * GgmlBlocks.Q8_0_BLOCK_BYTES];
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < bpr; b++) {
                int o = (r * bpr + b) * GgmlBlocks.Q8_0_BLOCK_BYTES, s0 = b * 32;
                short d = sc[r * bpr + b];
                out[o] = (byte) d;
                out[o + 1] = (byte) (d >> 8);
                System.arraycopy(q, r * spr + s0, out, o + 2, Math.min(32, spr - s0));
            }
        }
        return out;
    }

    /** From Q8_0 blocks as {@link #q8Blocks} lays them out, and in-group indices [rows][slotsPerRow]. */
    public static PackedNMQ8 fromQ8Blocks(int rows, int cols, int n, int m, java.lang.foreign.MemorySegment blocks, byte[] index) {
        int spr = (cols + m - 1) / m * n, bpr = blocksPerRow(spr);
        byte[] q = new byte[rows * spr];
        short[] sc = new short[rows * bpr];
        var f16 = java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < bpr; b++) {
                long o = (long) (r * bpr + b) * GgmlBlocks.Q8_0_BLOCK_BYTES;
                sc[r * bpr + b] = blocks.get(f16, o);
                java.lang.foreign.MemorySegment.copy(blocks, java.lang.foreign.ValueLayout.JAVA_BYTE, o + 2, q, r * spr + b * 32, Math.min(32, spr - b * 32));
            }
        }
        return new PackedNMQ8(rows, cols, n, m, q, sc, index);
    }

    /** Bytes in a packed GGUF: Q8_0 blocks of each row's slots (padded to 32) and the bit-packed indices. */
    public long storedBytes() {
        return (long) rows * blocksPerRow() * GgmlBlocks.Q8_0_BLOCK_BYTES + rows * (((long) slotsPerRow() * indexBits() + 7) / 8);
    }

    @Override public long memoryBytes() {
        ChunkTilesQ8 c = chunkTiles;
        return tiles.memoryBytes() + (c == null ? 0 : c.memoryBytes());
    }

    @Override public String toString() { return "PackedNMQ8[" + rows + "x" + cols + ", " + n + ":" + m + "]"; }
}
