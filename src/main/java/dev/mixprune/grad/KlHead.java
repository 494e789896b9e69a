package dev.mixprune.grad;

import dev.mixprune.model.LlamaConfig;
import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

import java.util.Arrays;

/**
 * The distillation loss head in float32: per-token KL(teacher ‖ student) between the next-token
 * distributions of a teacher and a student of the same shape, and its backward down to dL/d(the
 * student's hidden state after its last block), the student's final-norm gain and (optionally) its
 * classifier. Built like {@link NllHead}: both classifiers are read in chunks of vocabulary rows, so
 * neither a whole classifier nor rows x vocab logits are ever held; pass 1 keeps a running
 * log-sum-exp per row for the student AND the teacher, pass 2 recomputes both chunks' logits and
 * forms, per row r and vocabulary entry v,
 * <pre>
 *   KL_r   = Σ_v p_t(v) · (log p_t(v) − log p_s(v))
 *   dKL_r / dlogit_s(v) = p_s(v) − p_t(v)
 * </pre>
 * The teacher's logits are recomputed from its hidden state in both passes instead of being stored
 * (exact, no top-k truncation, no rows x vocab buffer); the teacher costs one extra logits product
 * per pass.
 *
 * <p>Positions 0..T-2 of each sequence are scored (the positions perplexity scores: the last one
 * predicts a token outside the window), and a sequence's loss is the mean over its T-1 positions.
 * Determinism: scalar {@code Math.exp} and row sums in a fixed order, as in {@link NllHead}.
 */
public final class KlHead {
    private KlHead() {}

    /**
     * The teacher's side of a batch: its hidden state after its last block ([rows][dim], the same
     * token rows as the student's), its final-norm gain and its classifier rows (the embedding when
     * shared).
     */
    public record Teacher(Matrix hidden, float[] finalNorm, NllHead.ClassifierRows classifier) {}

    /** Receives dL/d(classifier rows [first, first + count)) of one vocabulary chunk; valid only during the call. */
    @FunctionalInterface
    public interface ClassifierGradient {
        void chunk(int first, Matrix gradient);
    }

    /**
     * Mean KL(teacher ‖ student) of each sequence and the gradient of Σ_s gradWeight_s · loss_s
     * with respect to the student's hidden state, written (overwritten) into {@code dHidden}.
     *
     * @param c            the student's config (the teacher has the same shape)
     * @param hidden       the student's residual after its last block, nSeq*T rows
     * @param nSeq         sequences in the batch (each T = rows / nSeq tokens, T >= 2)
     * @param gradWeight   per-sequence weight of the loss in the gradient (1/nSeq: a batch mean)
     * @param dFinalNorm   when not null, dL/d(student final-norm gain) is added to it
     * @param dClassifier  when not null, receives dL/d(student classifier) chunk by chunk
     * @return the mean KL (nats) of every sequence
     */
    public static double[] lossAndGradient(LlamaConfig c, float[] finalNorm, NllHead.ClassifierRows classifier, Matrix hidden, Teacher teacher,
                                           int nSeq, double[] gradWeight, Matrix dHidden, double[] dFinalNorm, ClassifierGradient dClassifier,
                                           long chunkBytes, ThreadTeam team) {
        int R = hidden.rows(), D = c.dim(), V = c.vocabSize();
        if (nSeq < 1 || R % nSeq != 0) throw new IllegalArgumentException(R + " rows are not " + nSeq + " sequences of equal length");
        int T = R / nSeq;
        if (T < 2) throw new IllegalArgumentException("sequences need at least 2 tokens for a next-token distribution, got " + T);
        if (hidden.cols() != D) throw new IllegalArgumentException("hidden " + hidden.shape() + " is not " + R + " rows of dim " + D);
        if (teacher.hidden().rows() != R || teacher.hidden().cols() != D) {
            throw new IllegalArgumentException("teacher hidden " + teacher.hidden().shape() + " does not match the student's " + hidden.shape());
        }
        if (gradWeight.length != nSeq) throw new IllegalArgumentException(gradWeight.length + " gradient weights for " + nSeq + " sequences");
        if (dHidden.rows() != R || dHidden.cols() != D) throw new IllegalArgumentException("gradient " + dHidden.shape() + " does not match " + hidden.shape());
        float[] coef = new float[R];
        for (int s = 0; s < nSeq; s++) {
            for (int t = 0; t < T - 1; t++) coef[s * T + t] = (float) (gradWeight[s] / (T - 1));
        }
        Matrix normed = new Matrix(R, D), tNormed = new Matrix(R, D);
        float[] inv = new float[R];
        RowOps.rmsnorm(hidden.data(), finalNorm, c.normEps(), R, D, normed.data(), inv, team);
        RowOps.rmsnorm(teacher.hidden().data(), teacher.finalNorm(), c.normEps(), R, D, tNormed.data(), new float[R], team);

        int cv = NllHead.chunkRows(c, chunkBytes), rb = Math.min(R, NllHead.rowBlock(c, chunkBytes));
        // pass 1: running max and sum of exp per row for the student (s) and the teacher (t), in double
        double[] maxS = new double[R], sumS = new double[R], maxT = new double[R], sumT = new double[R];
        Arrays.fill(maxS, Double.NEGATIVE_INFINITY);
        Arrays.fill(maxT, Double.NEGATIVE_INFINITY);
        for (int v0 = 0; v0 < V; v0 += cv) {
            int cnt = Math.min(cv, V - v0);
            Matrix ws = new Matrix(cnt, D, classifier.rows(v0, cnt));
            Matrix wt = new Matrix(cnt, D, teacher.classifier().rows(v0, cnt));
            for (int r0 = 0; r0 < R; r0 += rb) {
                int rows = Math.min(rb, R - r0), base = r0;
                float[] ls = NllHead.logits(normed, base, rows, ws, team).data();
                float[] lt = NllHead.logits(tNormed, base, rows, wt, team).data();
                team.forRange(0, rows, 16, (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        int r = base + i, o = i * cnt;
                        accumulate(ls, o, cnt, r, maxS, sumS);
                        accumulate(lt, o, cnt, r, maxT, sumT);
                    }
                });
            }
        }
        double[] lseS = new double[R], lseT = new double[R];
        for (int r = 0; r < R; r++) {
            lseS[r] = maxS[r] + Math.log(sumS[r]);
            lseT[r] = maxT[r] + Math.log(sumT[r]);
        }

        // pass 2: KL per row, dlogits = coef · (p_s − p_t), dNormed += dlogits · W_chunk, dW_chunk = dlogitsᵀ · normed
        double[] kl = new double[R];
        Matrix dNormed = new Matrix(R, D);
        Matrix dW = dClassifier != null ? new Matrix(cv, D) : null;
        for (int v0 = 0; v0 < V; v0 += cv) {
            int cnt = Math.min(cv, V - v0);
            Matrix ws = new Matrix(cnt, D, classifier.rows(v0, cnt));
            Matrix wt = new Matrix(cnt, D, teacher.classifier().rows(v0, cnt));
            Matrix dWc = dW == null ? null : cnt == cv ? dW : new Matrix(cnt, D);
            for (int r0 = 0; r0 < R; r0 += rb) {
                int rows = Math.min(rb, R - r0), base = r0;
                Matrix logits = NllHead.logits(normed, base, rows, ws, team);
                float[] ls = logits.data();
                float[] lt = NllHead.logits(tNormed, base, rows, wt, team).data();
                team.forRange(0, rows, 16, (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        int r = base + i;
                        kl[r] += klAndGradient(ls, lt, i * cnt, cnt, lseS[r], lseT[r], coef[r]);
                    }
                });
                if (rows == R) {
                    Gemm.nn(logits, ws, dNormed, true, team);
                } else {
                    Matrix part = new Matrix(rows, D, Arrays.copyOfRange(dNormed.data(), base * D, (base + rows) * D));
                    Gemm.nn(logits, ws, part, true, team);
                    System.arraycopy(part.data(), 0, dNormed.data(), base * D, rows * D);
                }
                if (dWc != null) {
                    Matrix a = rows == R ? normed : new Matrix(rows, D, Arrays.copyOfRange(normed.data(), base * D, (base + rows) * D));
                    Gemm.tn(logits, a, dWc, r0 > 0, team);
                }
            }
            if (dWc != null) dClassifier.chunk(v0, dWc);
        }
        double[] loss = new double[nSeq];
        for (int s = 0; s < nSeq; s++) {
            double sum = 0;
            for (int t = 0; t < T - 1; t++) sum += kl[s * T + t];
            loss[s] = sum / (T - 1);
        }
        Arrays.fill(dHidden.data(), 0f);
        RowOps.rmsnormBackward(dNormed.data(), hidden.data(), inv, finalNorm, R, D, dHidden.data(), team);
        if (dFinalNorm != null) RowOps.rmsnormGainGradient(dNormed.data(), hidden.data(), inv, 0, R, D, dFinalNorm, team);
        return loss;
    }

    /** Folds one row chunk of logits into a running (max, Σ exp(l − max)) in double. */
    private static void accumulate(float[] l, int o, int n, int r, double[] max, double[] sum) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) m = Math.max(m, l[o + i]);
        double e = 0;
        for (int i = 0; i < n; i++) e += Math.exp(l[o + i] - m);
        if (m > max[r]) {
            sum[r] = sum[r] * Math.exp(max[r] - m) + e;
            max[r] = m;
        } else {
            sum[r] += e * Math.exp(m - max[r]);
        }
    }

    /**
     * One row chunk: returns Σ p_t (log p_t − log p_s) over the chunk and replaces the student's
     * logits {@code ls} by coef · (p_s − p_t) (all in double, rounded once).
     */
    private static double klAndGradient(float[] ls, float[] lt, int o, int n, double lseS, double lseT, float coef) {
        double kl = 0;
        for (int i = 0; i < n; i++) {
            double logPs = ls[o + i] - lseS, logPt = lt[o + i] - lseT;
            double ps = Math.exp(logPs), pt = Math.exp(logPt);
            kl += pt * (logPt - logPs);
            ls[o + i] = (float) (coef * (ps - pt));
        }
        return kl;
    }
}
