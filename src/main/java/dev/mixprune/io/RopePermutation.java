package dev.mixprune.io;

import dev.mixprune.tensor.Matrix;

/**
 * HF LLaMA checkpoints rotate q/k with rotate_half, so their wq/wk rows are permuted relative to
 * Meta/llama2.c/GGUF's interleaved pairs. llama2.c export.py: {@code HF = permute(meta)} with
 * {@code w.view(n_heads, d1/n_heads/2, 2, d2).transpose(1, 2).reshape(d1, d2)}: within each head,
 * meta row 2j+i goes to HF row i*(hs/2)+j. wk uses n_kv_heads.
 */
public final class RopePermutation {
    private RopePermutation() {}

    /** Meta (interleaved) layout to HF (rotate_half) layout. */
    public static Matrix toHf(Matrix meta, int nHeads) { return permute(meta, nHeads, true); }

    /** HF (rotate_half) layout to Meta (interleaved) layout. */
    public static Matrix fromHf(Matrix hf, int nHeads) { return permute(hf, nHeads, false); }

    private static Matrix permute(Matrix src, int nHeads, boolean toHf) {
        int rows = src.rows(), cols = src.cols();
        if (rows % nHeads != 0 || (rows / nHeads) % 2 != 0) throw new IllegalArgumentException(rows + " rows do not split into " + nHeads + " heads of even size");
        int hs = rows / nHeads, half = hs / 2;
        float[] out = new float[src.size()];
        for (int h = 0; h < nHeads; h++) {
            for (int j = 0; j < half; j++) {
                for (int i = 0; i < 2; i++) {
                    int metaRow = h * hs + 2 * j + i;
                    int hfRow = h * hs + i * half + j;
                    int from = toHf ? metaRow : hfRow, to = toHf ? hfRow : metaRow;
                    System.arraycopy(src.data(), from * cols, out, to * cols, cols);
                }
            }
        }
        return new Matrix(rows, cols, out);
    }
}
