package dev.mixprune.io;

import dev.mixprune.tensor.Matrix;

/**
 * HF LLaMA checkpoints rotate q/k with rotate_half, so their wq/wk rows are permuted relative to
 * Meta/llama2.c/GGUF-llama's interleaved pairs (the in-memory order). llama2.c export.py:
 * {@code HF = permute(meta)} with {@code w.view(n_heads, d1/n_heads/2, 2, d2).transpose(1, 2).reshape(d1, d2)}:
 * within each head, meta row 2j+i goes to HF row i*(hs/2)+j. wk uses n_kv_heads. The same
 * permutation applies to q/k biases (one value per row) and to GGUF architectures llama.cpp runs
 * in NEOX mode (qwen2).
 */
public final class RopePermutation {
    private RopePermutation() {}

    /** Meta (interleaved) layout to HF (rotate_half) layout. */
    public static Matrix toHf(Matrix meta, int nHeads) {
        return new Matrix(meta.rows(), meta.cols(), toHalves(meta.data(), meta.rows(), meta.cols(), nHeads));
    }

    /** HF (rotate_half) layout to Meta (interleaved) layout. */
    public static Matrix fromHf(Matrix hf, int nHeads) {
        float[] out = new float[hf.size()];
        fromHalves(hf.data(), out, hf.rows(), hf.cols(), nHeads);
        return new Matrix(hf.rows(), hf.cols(), out);
    }

    /** A new array: {@code rows x cols} values (rows of q or k, or a bias with cols 1) from the interleaved to the rotate_half order. */
    public static float[] toHalves(float[] interleaved, int rows, int cols, int nHeads) {
        float[] out = new float[interleaved.length];
        permute(interleaved, out, rows, cols, nHeads, true);
        return out;
    }

    /** Rows in rotate_half order into {@code out} in the interleaved order. */
    public static void fromHalves(float[] halves, float[] out, int rows, int cols, int nHeads) {
        permute(halves, out, rows, cols, nHeads, false);
    }

    /**
     * Rows of any primitive array ({@code rowLength} elements each: e.g. a packed layer's values or
     * index bytes) from one order into the other; {@code toHalves} false is the inverse.
     */
    public static void permuteRows(Object src, Object out, int rows, int rowLength, int nHeads, boolean toHalves) {
        permute(src, out, rows, rowLength, nHeads, toHalves);
    }

    private static void permute(Object src, Object out, int rows, int cols, int nHeads, boolean toHalves) {
        if (rows % nHeads != 0 || (rows / nHeads) % 2 != 0) throw new IllegalArgumentException(rows + " rows do not split into " + nHeads + " heads of even size");
        int n = java.lang.reflect.Array.getLength(src);
        if (n != (long) rows * cols || java.lang.reflect.Array.getLength(out) != n) throw new IllegalArgumentException(n + " values for " + rows + " x " + cols);
        int hs = rows / nHeads, half = hs / 2;
        for (int h = 0; h < nHeads; h++) {
            for (int j = 0; j < half; j++) {
                for (int i = 0; i < 2; i++) {
                    int metaRow = h * hs + 2 * j + i;
                    int hfRow = h * hs + i * half + j;
                    int from = toHalves ? metaRow : hfRow, to = toHalves ? hfRow : metaRow;
                    System.arraycopy(src, from * cols, out, to * cols, cols);
                }
            }
        }
    }
}
