package dev.mixprune.tensor;

import java.util.Arrays;

/**
 * A dense row-major float32 matrix. Weight matrices follow the llama2.c / PyTorch convention
 * {@code [out_features][in_features]}: a row is one output neuron, a column one input feature.
 * The backing array is exposed on purpose: kernels work on it directly.
 */
public final class Matrix implements LinearWeight {
    private final int rows;
    private final int cols;
    private final float[] data;

    public Matrix(int rows, int cols) {
        this(rows, cols, new float[checkedSize(rows, cols)]);
    }

    public Matrix(int rows, int cols, float[] data) {
        if (data.length != checkedSize(rows, cols)) {
            throw new IllegalArgumentException("matrix " + rows + "x" + cols + " needs " + ((long) rows * cols)
                    + " values, got " + data.length);
        }
        this.rows = rows;
        this.cols = cols;
        this.data = data;
    }

    private static int checkedSize(int rows, int cols) {
        if (rows < 0 || cols < 0) throw new IllegalArgumentException("negative shape " + rows + "x" + cols);
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("matrix " + rows + "x" + cols + " too large for one array");
        return (int) n;
    }

    public int rows() { return rows; }
    public int cols() { return cols; }
    /** The backing row-major array (not a copy). */
    public float[] data() { return data; }
    public int size() { return data.length; }

    public float get(int r, int c) { return data[r * cols + c]; }
    public void set(int r, int c, float v) { data[r * cols + c] = v; }
    public int offset(int r) { return r * cols; }

    public Matrix copy() { return new Matrix(rows, cols, data.clone()); }

    /** Rows [from, to) as a new matrix (copied). */
    public Matrix rowSlice(int from, int to) {
        return new Matrix(to - from, cols, Arrays.copyOfRange(data, from * cols, to * cols));
    }

    public long countZeros() {
        long z = 0;
        for (float v : data) if (v == 0f) z++;
        return z;
    }

    @Override public String shape() { return rows + "x" + cols; }

    @Override public long memoryBytes() { return 4L * data.length; }

    @Override public String toString() { return "Matrix[" + shape() + "]"; }
}
