package dev.mixprune.prune;

import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Matrix;

/**
 * Calibration statistics of one distinct layer input (one {@link dev.mixprune.model.InputGroup}
 * of one block), collected once and shared by every layer reading that input (wq/wk/wv, w1/w3).
 *
 * <ul>
 *   <li>Wanda's {@code scaler_row} (docs/algorithms.md 3.1): running mean over SEQUENCES of the
 *       per-sequence column sums of x^2, kept in double;</li>
 *   <li>optionally the Gram matrix G = sum over all tokens of x x^T, accumulated on the fast GEMM
 *       ({@link Gemm#tn}); SparseGPT's Hessian is H = (2/N_seq) G (4.1), and the reconstruction
 *       error of a weight change D is sum_r D_r G D_r^T.</li>
 * </ul>
 */
public final class InputStats {
    private final int in;
    private final double[] scalerRow;
    private final Matrix gram;
    private long sequences;
    private long tokens;
    /** SparseGPT's U for this input, computed by the first layer that reads it (see {@link #sparseGptFactor}). */
    private double[] sparseGptFactor;
    private SparseGptOptions sparseGptFactorOptions;

    public InputStats(int in, boolean withGram) {
        this.in = in;
        this.scalerRow = new double[in];
        this.gram = withGram ? new Matrix(in, in) : null;
    }

    public int inFeatures() { return in; }
    public long sequences() { return sequences; }
    public long tokens() { return tokens; }
    public boolean hasGram() { return gram != null; }

    /** Adds {@code nSeq} sequences of {@code seqLen} tokens, {@code x} is [nSeq*seqLen x in], sequence-major. */
    public void add(Matrix x, int nSeq, int seqLen) {
        if (x.cols() != in) throw new IllegalArgumentException("input has " + x.cols() + " features, expected " + in);
        if (x.rows() != (long) nSeq * seqLen) throw new IllegalArgumentException("input has " + x.rows() + " rows, expected " + nSeq + " x " + seqLen);
        float[] d = x.data();
        double[] colSq = new double[in];
        for (int s = 0; s < nSeq; s++) {
            java.util.Arrays.fill(colSq, 0);
            for (int t = 0; t < seqLen; t++) {
                int off = (s * seqLen + t) * in;
                for (int j = 0; j < in; j++) {
                    double v = d[off + j];
                    colSq[j] += v * v;
                }
            }
            // Running mean over sequences with b = 1, the reference's form.
            double keep = (double) sequences / (sequences + 1);
            sequences++;
            for (int j = 0; j < in; j++) scalerRow[j] = scalerRow[j] * keep + colSq[j] / sequences;
        }
        tokens += (long) nSeq * seqLen;
        if (gram != null) Gemm.tn(x, x, gram, true);
        sparseGptFactor = null;   // statistics changed: a cached factor is stale
    }

    /**
     * SparseGPT's damped upper factor U of H^{-1}, computed once per input and shared by the
     * layers that read it (wq/wk/wv, w1/w3): they have the same Hessian, so recomputing it would
     * triple the O(n^3) work of the attention inputs. Recomputed when the options differ.
     */
    synchronized double[] sparseGptFactor(SparseGptOptions options, java.util.function.Supplier<double[]> compute) {
        if (sparseGptFactor == null || !options.equals(sparseGptFactorOptions)) {
            sparseGptFactor = compute.get();
            sparseGptFactorOptions = options;
        }
        return sparseGptFactor;
    }

    /** Wanda's scaler_row = (1/N_seq) sum_t x_tj^2 (a view, do not modify). */
    public double[] scalerRow() { return scalerRow; }

    /** Sum of x x^T over all tokens (a view, do not modify). */
    public Matrix gram() {
        if (gram == null) throw new IllegalStateException("Gram matrix was not collected for this input");
        return gram;
    }

    /** SparseGPT's Hessian (2/N_seq) G in double, row-major [in*in] (a fresh array the caller may modify). */
    public double[] hessian() {
        Matrix g = gram();
        double scale = sequences == 0 ? 0 : 2.0 / sequences;
        float[] src = g.data();
        double[] h = new double[src.length];
        for (int i = 0; i < src.length; i++) h[i] = src[i] * scale;
        return h;
    }

    /**
     * ||W X - W' X||^2 over the collected tokens = sum_r d_r G d_r^T with d = W - W'. D*G runs on
     * the fast GEMM (float); the final contraction is summed in double.
     */
    public double reconstructionError(Matrix before, Matrix after) {
        Matrix g = gram();
        if (before.cols() != in || after.cols() != in || before.rows() != after.rows()) {
            throw new IllegalArgumentException("shapes " + before.shape() + " / " + after.shape() + " do not match input width " + in);
        }
        float[] a = before.data(), b = after.data();
        Matrix d = new Matrix(before.rows(), in);
        float[] dd = d.data();
        for (int i = 0; i < dd.length; i++) dd[i] = a[i] - b[i];
        Matrix dg = Gemm.nn(d, g);
        float[] p = dg.data();
        double total = 0;
        for (int i = 0; i < dd.length; i++) total += (double) dd[i] * p[i];
        return total;
    }
}
