package dev.mixprune.quant;

import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;

/**
 * A dense [rows][cols] weight held in ggml's Q8_0 form: every row cut into blocks of 32 values,
 * each block an F16 scale d and 32 int8 quants q (value = d * q), quantized exactly as
 * {@link GgmlBlocks#quantizeQ8_0}. In memory the quants of a row are contiguous ({@code q},
 * row-major like the floats they replace) and the scales are a separate array
 * ({@code scales[row * blocksPerRow + block]}, F16 bits), so the bytes held equal the file's
 * (1.0625 per weight) and the kernels ({@link Q8Kernels}) load whole vectors of quants.
 * Requires cols to be a multiple of 32 (as ggml does for Q8_0 rows).
 */
public final class Q8Matrix implements LinearWeight {
    private final int rows, cols, blocksPerRow;
    final byte[] q;
    final short[] scales;

    private Q8Matrix(int rows, int cols, byte[] q, short[] scales) {
        if (cols % GgmlBlocks.QK != 0) throw new IllegalArgumentException("Q8_0 rows need a multiple of 32 columns, got " + rows + "x" + cols);
        if ((long) rows * cols > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("Q8_0 matrix " + rows + "x" + cols + " too large for one array");
        this.rows = rows;
        this.cols = cols;
        this.blocksPerRow = cols / GgmlBlocks.QK;
        if (q.length != rows * cols || scales.length != rows * blocksPerRow) throw new IllegalArgumentException("Q8_0 " + rows + "x" + cols + ": wrong array sizes");
        this.q = q;
        this.scales = scales;
    }

    /** Whether a row of {@code cols} values can be stored as Q8_0 blocks. */
    public static boolean fits(int cols) { return cols % GgmlBlocks.QK == 0; }

    /** Quantizes every row of {@code m} to Q8_0 (bit-exact to ggml's reference quantizer). */
    public static Q8Matrix quantize(Matrix m) {
        int rows = m.rows(), cols = m.cols(), nb = cols / GgmlBlocks.QK;
        if (!fits(cols)) throw new IllegalArgumentException("Q8_0 rows need a multiple of 32 columns, got " + m.shape());
        byte[] q = new byte[rows * cols];
        short[] s = new short[rows * nb];
        float[] d = m.data();
        for (int b = 0; b < rows * nb; b++) s[b] = GgmlBlocks.quantizeQ8Block(d, b * GgmlBlocks.QK, GgmlBlocks.QK, q, b * GgmlBlocks.QK);
        return new Q8Matrix(rows, cols, q, s);
    }

    /** From ggml Q8_0 blocks (rows * cols / 32 blocks of 34 bytes, row-major), e.g. a GGUF tensor's bytes. */
    public static Q8Matrix fromBlocks(int rows, int cols, java.lang.foreign.MemorySegment blocks) {
        if (!fits(cols)) throw new IllegalArgumentException("Q8_0 rows need a multiple of 32 columns, got " + rows + "x" + cols);
        int nb = cols / GgmlBlocks.QK;
        long need = (long) rows * nb * GgmlBlocks.Q8_0_BLOCK_BYTES;
        if (blocks.byteSize() < need) throw new IllegalArgumentException("Q8_0 " + rows + "x" + cols + " needs " + need + " bytes, got " + blocks.byteSize());
        byte[] q = new byte[rows * cols];
        short[] s = new short[rows * nb];
        var f16 = java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < rows * nb; b++) {
            long at = (long) b * GgmlBlocks.Q8_0_BLOCK_BYTES;
            s[b] = blocks.get(f16, at);
            java.lang.foreign.MemorySegment.copy(blocks, java.lang.foreign.ValueLayout.JAVA_BYTE, at + 2, q, b * GgmlBlocks.QK, GgmlBlocks.QK);
        }
        return new Q8Matrix(rows, cols, q, s);
    }

    /** The ggml Q8_0 blocks of rows [first, first + count) (34 bytes per block), as a file stores them. */
    public byte[] blocks(int first, int count) {
        byte[] out = new byte[count * blocksPerRow * GgmlBlocks.Q8_0_BLOCK_BYTES];
        for (int b = 0, src = first * blocksPerRow; b < count * blocksPerRow; b++, src++) {
            int o = b * GgmlBlocks.Q8_0_BLOCK_BYTES;
            out[o] = (byte) scales[src];
            out[o + 1] = (byte) (scales[src] >> 8);
            System.arraycopy(q, src * GgmlBlocks.QK, out, o + 2, GgmlBlocks.QK);
        }
        return out;
    }

    /** The dequantized weight (exactly d * q per value). */
    public Matrix toDense() {
        Matrix out = new Matrix(rows, cols);
        float[] d = out.data();
        for (int b = 0; b < rows * blocksPerRow; b++) {
            float s = Float.float16ToFloat(scales[b]);
            for (int j = 0, i = b * GgmlBlocks.QK; j < GgmlBlocks.QK; j++, i++) d[i] = s * q[i];
        }
        return out;
    }

    /** Scale of block b of row r, as float. */
    float scale(int r, int b) { return Float.float16ToFloat(scales[r * blocksPerRow + b]); }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    public int blocksPerRow() { return blocksPerRow; }

    /** One byte per quant plus an F16 scale per 32: 1.0625 bytes per weight, as in a Q8_0 file. */
    @Override public long memoryBytes() { return (long) q.length + 2L * scales.length; }

    @Override public String toString() { return "Q8Matrix[" + rows + "x" + cols + "]"; }
}
