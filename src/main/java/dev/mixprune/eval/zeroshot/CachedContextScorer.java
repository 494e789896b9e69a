package dev.mixprune.eval.zeroshot;

import dev.mixprune.model.Generator;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.progress.Progress;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scores the choices of one context from a shared KV cache: the context is run once (batched
 * prefill), then each continuation is fed token by token from position len(ctx), overwriting the
 * previous choice's positions. Same numbers as {@link LoglikelihoodScorer} within float rounding,
 * and the context's cost is paid once instead of once per choice.
 *
 * <p>Feeding a continuation token by token (GEMV) costs more per token than a batched forward
 * (GEMM), so a run of k >= 2 consecutive requests with an identical context takes this path only
 * when it saves work: (k-1) * len(ctx) > (stepCost - 1) * sum(len(cont) - 1), with stepCost the
 * cost of one cached step in batched-token units (measured {@value #DEFAULT_STEP_COST} on
 * stories260K: short answers after a long shared passage, like BoolQ, win; HellaSwag's long endings
 * do not). The whole input must also fit the window (no truncation). Everything else goes to the
 * batched {@code fallback}.
 */
public final class CachedContextScorer implements LoglikelihoodBackend {
    public static final double DEFAULT_STEP_COST = 14;

    private final LlamaWeights weights;
    private final LoglikelihoodBackend fallback;
    private final double stepCost;

    public CachedContextScorer(LlamaWeights weights, LoglikelihoodBackend fallback, double stepCost) {
        if (!(stepCost >= 1)) throw new IllegalArgumentException("step cost must be >= 1, got " + stepCost);
        this.weights = weights;
        this.fallback = fallback;
        this.stepCost = stepCost;
    }

    public CachedContextScorer(LlamaWeights weights, LoglikelihoodBackend fallback) { this(weights, fallback, DEFAULT_STEP_COST); }

    @Override public double[] score(List<EncodedRequest> requests, Progress progress) {
        int n = requests.size(), maxLen = weights.config().seqLen();
        double[] ll = new double[n];
        List<Integer> rest = new ArrayList<>();
        List<int[]> groups = new ArrayList<>();   // [from, to) of cached groups
        int capacity = 0;
        for (int i = 0; i < n; ) {
            int[] ctx = requests.get(i).context();
            int j = i + 1;
            while (j < n && Arrays.equals(requests.get(j).context(), ctx)) j++;
            boolean fits = j - i >= 2;
            int need = 0;
            long steps = 0;
            for (int k = i; k < j && fits; k++) {
                int cont = requests.get(k).continuation().length;
                need = Math.max(need, ctx.length + cont - 1);
                steps += Math.max(0, cont - 1);
                fits = need <= maxLen;
            }
            fits = fits && (double) (j - i - 1) * ctx.length > (stepCost - 1) * steps;
            if (fits) {
                groups.add(new int[]{i, j});
                capacity = Math.max(capacity, Math.max(need, ctx.length));
            } else {
                for (int k = i; k < j; k++) rest.add(k);
            }
            i = j;
        }
        if (!groups.isEmpty()) {
            Generator g = new Generator(weights, capacity);
            for (int[] range : groups) {
                int[] ctx = requests.get(range[0]).context();
                double[] first = logSoftmax(g.prefill(ctx));
                for (int k = range[0]; k < range[1]; k++) {
                    int[] cont = requests.get(k).continuation();
                    double sum = 0;
                    if (cont.length > 0) sum += first[cont[0]];
                    for (int t = 0; t + 1 < cont.length; t++) {
                        float[] logits = g.step(cont[t], ctx.length + t);
                        sum += logSoftmaxAt(logits, cont[t + 1]);
                    }
                    ll[k] = sum;
                    if (progress != null) progress.step(1);
                }
            }
        }
        if (!rest.isEmpty()) {
            List<EncodedRequest> sub = new ArrayList<>(rest.size());
            for (int k : rest) sub.add(requests.get(k));
            double[] r = fallback.score(sub, progress);
            for (int k = 0; k < r.length; k++) ll[rest.get(k)] = r[k];
        }
        return ll;
    }

    private static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double s = 0;
        for (float v : logits) s += Math.exp(v - max);
        double lse = max + Math.log(s);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) out[i] = logits[i] - lse;
        return out;
    }

    private static double logSoftmaxAt(float[] logits, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double s = 0;
        for (float v : logits) s += Math.exp(v - max);
        return logits[token] - max - Math.log(s);
    }
}
