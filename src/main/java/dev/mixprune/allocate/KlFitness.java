package dev.mixprune.allocate;

import dev.mixprune.model.LlamaForward;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Fitness of a candidate on fitness windows (calibration text evaluation never sees), from the
 * candidate's full forward. KL: mean over predicted positions of KL(P_dense || P_candidate); the
 * dense distributions are computed once. PPL: exp(mean next-token NLL). The last position of each
 * (possibly truncated) window is dropped, as EvoPress does; positions are weighted equally.
 */
public final class KlFitness implements Fitness {
    public enum Kind { KL, PPL }

    /** The forward used; LlamaForward by default, replaceable in tests. */
    @FunctionalInterface
    public interface Forward { List<Matrix> logits(LlamaWeights w, List<int[]> sequences); }

    /** Where evaluation time goes, in nanoseconds, summed over all evaluations. */
    public record Timings(long evaluations, long tokens, long maskNanos, long forwardNanos, long lossNanos) {}

    private final CandidateModel model;
    private final List<int[]> windows;
    private final Kind kind;
    private final Forward forward;
    private final String dataId;
    private final int vocab;
    private final float[][] denseProbs;      // [window][pos * vocab + v] (KL only)
    private final double[][] denseNegEntropy; // [window][pos]: sum_v P log P
    private long evals, tokens, maskNs, forwardNs, lossNs;

    public KlFitness(CandidateModel model, List<int[]> windows, Kind kind, String dataId) {
        this(model, windows, kind, dataId, LlamaForward::logitsBatch);
    }

    public KlFitness(CandidateModel model, List<int[]> windows, Kind kind, String dataId, Forward forward) {
        if (windows.isEmpty()) throw new IllegalArgumentException("no fitness windows");
        int len = windows.get(0).length;
        for (int[] w : windows) if (w.length != len) throw new IllegalArgumentException("fitness windows must have equal length");
        this.model = model;
        this.windows = List.copyOf(windows);
        this.kind = kind;
        this.forward = forward;
        this.dataId = dataId;
        this.vocab = model.dense().config().vocabSize();
        if (kind == Kind.KL) {
            denseProbs = new float[windows.size()][];
            denseNegEntropy = new double[windows.size()][];
            int chunk = 8; // bounds the logits held at once
            for (int s = 0; s < windows.size(); s += chunk) {
                List<int[]> part = this.windows.subList(s, Math.min(windows.size(), s + chunk));
                List<Matrix> logits = forward.logits(model.dense(), part);
                for (int i = 0; i < part.size(); i++) fillDense(s + i, logits.get(i));
            }
        } else {
            denseProbs = null;
            denseNegEntropy = null;
        }
    }

    private void fillDense(int w, Matrix logits) {
        int len = logits.rows();
        float[] z = logits.data();
        float[] p = new float[len * vocab];
        double[] ne = new double[len];
        for (int t = 0; t < len; t++) {
            int o = t * vocab;
            double lse = logSumExp(z, o, vocab);
            double acc = 0;
            for (int v = 0; v < vocab; v++) {
                double lp = z[o + v] - lse;
                double pv = Math.exp(lp);
                p[o + v] = (float) pv;
                acc += pv * lp;
            }
            ne[t] = acc;
        }
        denseProbs[w] = p;
        denseNegEntropy[w] = ne;
    }

    static double logSumExp(float[] z, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int v = 0; v < n; v++) max = Math.max(max, z[off + v]);
        double s = 0;
        for (int v = 0; v < n; v++) s += Math.exp(z[off + v] - max);
        return max + Math.log(s);
    }

    @Override public double evaluate(int[] genome, TokenSample sample) {
        long t0 = System.nanoTime();
        LlamaWeights w = model.build(genome);
        long t1 = System.nanoTime();
        List<int[]> seqs = new ArrayList<>(sample.windows().length);
        for (int i = 0; i < sample.windows().length; i++) {
            int[] win = windows.get(sample.windows()[i]);
            int l = sample.lengths()[i];
            seqs.add(l == win.length ? win : java.util.Arrays.copyOf(win, l));
        }
        List<Matrix> logits = forward.logits(w, seqs);
        long t2 = System.nanoTime();
        double sum = 0;
        long count = 0;
        for (int i = 0; i < seqs.size(); i++) {
            int wi = sample.windows()[i];
            int[] seq = seqs.get(i);
            float[] z = logits.get(i).data();
            for (int t = 0; t < seq.length - 1; t++) {
                int o = t * vocab;
                double lse = logSumExp(z, o, vocab);
                if (kind == Kind.KL) {
                    float[] p = denseProbs[wi];
                    double pz = 0, ps = 0;
                    for (int v = 0; v < vocab; v++) {
                        pz += p[o + v] * (double) z[o + v];
                        ps += p[o + v];
                    }
                    sum += denseNegEntropy[wi][t] - (pz - lse * ps);
                } else {
                    sum += lse - z[o + seq[t + 1]];
                }
                count++;
            }
        }
        long t3 = System.nanoTime();
        synchronized (this) {
            evals++;
            tokens += sample.tokens();
            maskNs += t1 - t0;
            forwardNs += t2 - t1;
            lossNs += t3 - t2;
        }
        double mean = sum / Math.max(1, count);
        return kind == Kind.KL ? mean : Math.exp(mean);
    }

    public synchronized Timings timings() { return new Timings(evals, tokens, maskNs, forwardNs, lossNs); }

    @Override public int windowCount() { return windows.size(); }
    @Override public int windowLength() { return windows.get(0).length; }

    @Override public String describe() {
        return String.format(Locale.ROOT, "%s,%s,windows=%dx%d,data=%s", kind.name().toLowerCase(Locale.ROOT),
                model.scoring().name().toLowerCase(Locale.ROOT), windows.size(), windowLength(), dataId);
    }
}
