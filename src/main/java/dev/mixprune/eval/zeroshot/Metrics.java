package dev.mixprune.eval.zeroshot;

import java.util.List;

/** acc / acc_norm decisions as the harness makes them (numpy argmax: the first maximum wins ties). */
public final class Metrics {
    private Metrics() {}

    public static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** Predicted choice by summed log-likelihood. */
    public static int predictAcc(double[] ll) { return argmax(ll); }

    /** Predicted choice by ll / len(choice), len in code points as Python counts them. */
    public static int predictAccNorm(double[] ll, List<String> choices) {
        double[] norm = new double[ll.length];
        for (int i = 0; i < ll.length; i++) norm[i] = ll[i] / PyText.len(choices.get(i));
        return argmax(norm);
    }

    /** Harness mean_stderr for a 0/1 metric: sample standard deviation (ddof 1) / sqrt(n). */
    public static double stderr(int correct, int n) {
        if (n < 2) return Double.NaN;
        double p = (double) correct / n;
        return Math.sqrt(p * (1 - p) / (n - 1));
    }
}
