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
 *       ({@link Gemm#tn}, lower panel blocks only, then mirrored); SparseGPT's Hessian is H = (2/N_seq) G (4.1), and the reconstruction
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
        if (gram != null) addGram(x, gram);
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

    /** Column panel width of the symmetric Gram update; inputs narrower than 2 panels use one full product. */
    static final int PANEL = 512;
    /** Tokens per slab: the panels of one slab are copied out of x (slab x in floats at a time). */
    static final int SLAB = 4096;

    /**
     * gram += x^T x on the fast GEMM, computing only the blocks on and below the diagonal:
     * x's columns are cut into panels X_p of {@link #PANEL} columns (copied, per slab of tokens, so
     * that each is a contiguous matrix), block (i, j) += X_i^T X_j for j <= i, then the upper
     * blocks are mirrored from the lower ones. For 4096 inputs that is 36 of 64 panel products,
     * for 11008 inputs 253 of 484: almost half of SparseGPT's statistics flops saved.
     * Public for the benchmark (bench.PruneBench --gram).
     */
    public static void addGram(Matrix x, Matrix gram) { addGram(x, gram, SLAB); }

    static void addGram(Matrix x, Matrix gram, int slab) {
        int in = x.cols();
        if (in < 2 * PANEL) {
            Gemm.tn(x, x, gram, true);
            return;
        }
        int n = x.rows(), nP = (in + PANEL - 1) / PANEL;
        float[] xd = x.data(), g = gram.data();
        for (int r0 = 0; r0 < n; r0 += slab) {
            int rows = Math.min(slab, n - r0);
            Matrix[] panels = new Matrix[nP];
            for (int p = 0; p < nP; p++) {
                int c0 = p * PANEL, w = Math.min(PANEL, in - c0);
                Matrix m = new Matrix(rows, w);
                float[] md = m.data();
                for (int r = 0; r < rows; r++) System.arraycopy(xd, (r0 + r) * in + c0, md, r * w, w);
                panels[p] = m;
            }
            for (int i = 0; i < nP; i++) {
                for (int j = 0; j <= i; j++) {
                    Matrix blk = Gemm.tn(panels[i], panels[j]);      // [w_i x w_j] = X_i^T X_j
                    float[] bd = blk.data();
                    int bw = blk.cols(), gr0 = i * PANEL, gc0 = j * PANEL;
                    for (int r = 0; r < blk.rows(); r++) {
                        int go = (gr0 + r) * in + gc0, bo = r * bw;
                        for (int c = 0; c < bw; c++) g[go + c] += bd[bo + c];
                    }
                }
            }
        }
        // Upper off-diagonal blocks := transpose of the lower ones (tiles of 64 for cache locality).
        final int t = 64;
        for (int i0 = 0; i0 < in; i0 += t) {
            for (int j0 = 0; j0 < i0 + t && j0 < in; j0 += t) {
                for (int i = i0; i < Math.min(i0 + t, in); i++) {
                    // below the diagonal panel blocks only: (i, j) with panel(j) < panel(i)
                    int jEnd = Math.min(Math.min(j0 + t, in), (i / PANEL) * PANEL);
                    for (int j = j0; j < jEnd; j++) g[j * in + i] = g[i * in + j];
                }
            }
        }
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
