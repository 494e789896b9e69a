package dev.mixprune.grad;

import dev.mixprune.model.LlamaConfig;
import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

/**
 * The loss head in float32: final RMSNorm, classifier, log-softmax next-token NLL, and its backward
 * down to dL/d(hidden state after the last block). The classifier is read in chunks of vocabulary
 * rows through {@link ClassifierRows}, so neither the classifier (0.5 GiB at 32k x 4096 in float32,
 * 2 GiB with a 128k vocabulary) nor the logits of all rows (rows x vocab) are ever held whole:
 * pass 1 computes each chunk's logits and keeps a running log-sum-exp per row, pass 2 recomputes
 * them and adds (softmax − onehot) · W_chunk into the gradient. That costs one extra logits
 * product, against O(rows x vocab) memory.
 *
 * <p>Positions 0..T-2 of each sequence predict tokens 1..T-1 (protocols.md F: a window's loss is
 * the mean of its T-1 predictions); the last position has no target and gets no gradient.
 */
public final class NllHead {
    private NllHead() {}

    /** Default bound of one chunk of classifier rows (and of one chunk of logits). */
    public static final long DEFAULT_CHUNK_BYTES = 32L << 20;

    /** Rows [first, first + count) of the classifier ([vocab][dim]) as float32, row-major. */
    @FunctionalInterface
    public interface ClassifierRows {
        float[] rows(int first, int count);

        /** An in-memory classifier. */
        static ClassifierRows of(Matrix classifier) {
            return (first, count) -> java.util.Arrays.copyOfRange(classifier.data(), first * classifier.cols(), (first + count) * classifier.cols());
        }
    }

    /**
     * Vocabulary rows per chunk: one chunk of classifier rows stays under {@code chunkBytes}, and
     * the chunks are balanced (no short last chunk, whose product would take the few-column GEMM
     * path). Depends on the model only.
     */
    public static int chunkRows(LlamaConfig c, long chunkBytes) {
        int V = c.vocabSize();
        long max = Math.max(1, Math.min(V, chunkBytes / (4L * c.dim())));
        long chunks = (V + max - 1) / max;
        return (int) ((V + chunks - 1) / chunks);
    }

    /** Hidden rows per block of logits: one rows x chunk block of logits stays under {@code chunkBytes}. */
    static int rowBlock(LlamaConfig c, long chunkBytes) {
        return (int) Math.max(1, chunkBytes / (4L * chunkRows(c, chunkBytes)));
    }

    /** Bytes the head holds besides its input: normalized rows, their gradient, one weight chunk and one logits block, per-row statistics. */
    public static long bytesFor(LlamaConfig c, int rows, long chunkBytes) {
        long cv = chunkRows(c, chunkBytes), rb = Math.min(rows, rowBlock(c, chunkBytes));
        return 4L * (2L * rows * c.dim() + cv * c.dim() + rb * cv) + 48L * rows;
    }

    /**
     * Mean next-token NLL of each sequence of {@code hidden} (nSeq*T rows, the residual after the last
     * block) and the gradient of Σ_s weight_s · loss_s with respect to {@code hidden}, written
     * (overwritten) into {@code dHidden}. With all weights 1 each sequence's rows receive exactly
     * the gradient of its own loss (sequences do not interact), which is what per-window Fisher
     * traces need; a training step over a batch passes 1/nSeq.
     *
     * @param tokens     the sequences' token ids, nSeq x T (targets are tokens[s][t+1])
     * @param gradWeight per-sequence weight of the loss in the gradient
     * @param dFinalNorm when not null, dL/d(final norm gain) is added to it
     * @return the mean NLL (nats) of every sequence
     */
    public static double[] lossAndGradient(LlamaConfig c, float[] finalNorm, ClassifierRows classifier, Matrix hidden, int[][] tokens,
                                           double[] gradWeight, Matrix dHidden, double[] dFinalNorm, long chunkBytes, ThreadTeam team) {
        int nSeq = tokens.length, T = tokens[0].length, R = nSeq * T, D = c.dim(), V = c.vocabSize();
        if (hidden.rows() != R || hidden.cols() != D) throw new IllegalArgumentException("hidden " + hidden.shape() + " is not " + nSeq + " x " + T + " rows of dim " + D);
        if (T < 2) throw new IllegalArgumentException("sequences need at least 2 tokens for a next-token loss, got " + T);
        if (gradWeight.length != nSeq) throw new IllegalArgumentException(gradWeight.length + " gradient weights for " + nSeq + " sequences");
        int[] target = new int[R];
        float[] coef = new float[R];
        for (int s = 0; s < nSeq; s++) {
            if (tokens[s].length != T) throw new IllegalArgumentException("sequence " + s + " has " + tokens[s].length + " tokens, sequence 0 has " + T);
            for (int t = 0; t < T; t++) {
                int tok = tokens[s][t];
                if (tok < 0 || tok >= V) throw new IllegalArgumentException("token " + tok + " at sequence " + s + " position " + t + " outside vocabulary 0.." + (V - 1));
                target[s * T + t] = t + 1 < T ? tokens[s][t + 1] : -1;
                coef[s * T + t] = t + 1 < T ? (float) (gradWeight[s] / (T - 1)) : 0f;
            }
        }
        Matrix normed = new Matrix(R, D);
        float[] inv = new float[R];
        RowOps.rmsnorm(hidden.data(), finalNorm, c.normEps(), R, D, normed.data(), inv, team);

        // The chunking depends on the model only (not on the number of rows), so every row's result is
        // the same whichever batch it is computed in.
        int cv = chunkRows(c, chunkBytes), rb = Math.min(R, rowBlock(c, chunkBytes));
        // pass 1: running max and sum of exp per row (in double), and the target's logit
        double[] max = new double[R], sum = new double[R], targetLogit = new double[R];
        java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
        for (int v0 = 0; v0 < V; v0 += cv) {
            int cnt = Math.min(cv, V - v0), first = v0;
            Matrix w = new Matrix(cnt, D, classifier.rows(first, cnt));
            for (int r0 = 0; r0 < R; r0 += rb) {
                int rows = Math.min(rb, R - r0), base = r0;
                float[] l = logits(normed, base, rows, w, team).data();
                team.forRange(0, rows, 16, (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        int r = base + i, o = i * cnt;
                        float m = maxOf(l, o, cnt);
                        double e = sumExp(l, o, cnt, m);
                        if (m > max[r]) {
                            sum[r] = sum[r] * Math.exp(max[r] - m) + e;
                            max[r] = m;
                        } else {
                            sum[r] += e * Math.exp(m - max[r]);
                        }
                        int tg = target[r];
                        if (tg >= first && tg < first + cnt) targetLogit[r] = l[o + tg - first];
                    }
                });
            }
        }
        double[] lse = new double[R];
        double[] loss = new double[nSeq];
        for (int s = 0; s < nSeq; s++) {
            double nll = 0;
            for (int t = 0; t < T; t++) {
                int r = s * T + t;
                lse[r] = max[r] + Math.log(sum[r]);
                if (t + 1 < T) nll += lse[r] - targetLogit[r];
            }
            loss[s] = nll / (T - 1);
        }

        // pass 2: dlogits = coef · (softmax − onehot), dNormed += dlogits · W_chunk
        Matrix dNormed = new Matrix(R, D);
        for (int v0 = 0; v0 < V; v0 += cv) {
            int cnt = Math.min(cv, V - v0), first = v0;
            Matrix w = new Matrix(cnt, D, classifier.rows(first, cnt));
            for (int r0 = 0; r0 < R; r0 += rb) {
                int rows = Math.min(rb, R - r0), base = r0;
                Matrix logits = logits(normed, base, rows, w, team);
                float[] l = logits.data();
                team.forRange(0, rows, 16, (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        int r = base + i, o = i * cnt;
                        softmaxGradient(l, o, cnt, lse[r], coef[r]);
                        int tg = target[r];
                        if (tg >= first && tg < first + cnt) l[o + tg - first] -= coef[r];
                    }
                });
                if (rows == R) {
                    Gemm.nn(logits, w, dNormed, true, team);
                } else {
                    Matrix part = new Matrix(rows, D, java.util.Arrays.copyOfRange(dNormed.data(), base * D, (base + rows) * D));
                    Gemm.nn(logits, w, part, true, team);
                    System.arraycopy(part.data(), 0, dNormed.data(), base * D, rows * D);
                }
            }
        }
        java.util.Arrays.fill(dHidden.data(), 0f);
        RowOps.rmsnormBackward(dNormed.data(), hidden.data(), inv, finalNorm, R, D, dHidden.data(), team);
        if (dFinalNorm != null) RowOps.rmsnormGainGradient(dNormed.data(), hidden.data(), inv, 0, R, D, dFinalNorm, team);
        return loss;
    }

    /** Logits [rows][chunk] of normalized rows [first, first+rows) against one classifier chunk. */
    static Matrix logits(Matrix normed, int first, int rows, Matrix w, ThreadTeam team) {
        Matrix a = rows == normed.rows() ? normed
                : new Matrix(rows, normed.cols(), java.util.Arrays.copyOfRange(normed.data(), first * normed.cols(), (first + rows) * normed.cols()));
        Matrix logits = new Matrix(rows, w.rows());
        Products.nt(a, w, logits, false, team);
        return logits;
    }

    private static float maxOf(float[] l, int o, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) m = Math.max(m, l[o + i]);
        return m;
    }

    /** Σ exp(l − m) over one row chunk, in double (scalar exp: the same bits in every JIT tier). */
    private static double sumExp(float[] l, int o, int n, float m) {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(l[o + i] - m);
        return s;
    }

    /** l = coef · exp(l − lse) over one row chunk. */
    private static void softmaxGradient(float[] l, int o, int n, double lse, float coef) {
        for (int i = 0; i < n; i++) l[o + i] = coef * (float) Math.exp(l[o + i] - lse);
    }
}
