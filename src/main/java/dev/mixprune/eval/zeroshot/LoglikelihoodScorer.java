package dev.mixprune.eval.zeroshot;

import dev.mixprune.progress.Progress;
import dev.mixprune.tensor.Matrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Sums of continuation log-probabilities, batched (docs/algorithms.md §8.1).
 *
 * <p>For each request the model input is inp = (ctx + cont)[-(maxLen+1):][:-1]; the continuation
 * token k is read from the log-softmax row at inp.length - cont.length + k. Requests whose inputs
 * are equal or a prefix of another input share one forward sequence: a causal model gives the
 * prefix the same logits (this covers single-token continuations of one context, e.g. BoolQ's
 * " yes"/" no", which the harness also scores with one forward). The remaining sequences go to
 * the model longest first in batches bounded by {@code maxBatchLogits} (tokens x vocab floats)
 * and {@code maxBatchSequences}. Within a batch every sequence is right-padded to the batch's
 * longest one (repeating its last token): a causal model's logits at the real positions do not
 * depend on what follows, and equal lengths let the forward run the batch as one GEMM pass
 * (LlamaForward batches only equal-length sequences). A batch stops at a sequence shorter than 3/4
 * of its first (longest), which bounds the padding waste.
 */
public final class LoglikelihoodScorer implements LoglikelihoodBackend {
    private final SequenceScorer model;
    private final long maxBatchLogits;
    private final int maxBatchSequences;

    public LoglikelihoodScorer(SequenceScorer model, long maxBatchLogits, int maxBatchSequences) {
        if (maxBatchLogits <= 0 || maxBatchSequences <= 0) throw new IllegalArgumentException("batch limits must be > 0");
        this.model = model;
        this.maxBatchLogits = maxBatchLogits;
        this.maxBatchSequences = maxBatchSequences;
    }

    /** Default limits: 16M logits (64 MB) and 16 sequences per forward call (measured: larger batches buy no CPU time on stories260K). */
    public LoglikelihoodScorer(SequenceScorer model) { this(model, DEFAULT_BATCH_LOGITS, DEFAULT_BATCH_SEQUENCES); }

    public static final long DEFAULT_BATCH_LOGITS = 16L << 20;
    public static final int DEFAULT_BATCH_SEQUENCES = 16;

    /** The model input of one request and how many of its last positions predict the continuation. */
    record Input(int[] tokens, int[] continuation) {}

    static Input input(EncodedRequest r, int maxLength) {
        int[] ctx = r.context(), cont = r.continuation();
        int total = ctx.length + cont.length;
        int keep = Math.min(total, maxLength + 1);          // (ctx+cont)[-(maxLen+1):]
        int[] inp = new int[keep - 1];                      // [:-1]
        for (int i = 0; i < inp.length; i++) {
            int src = total - keep + i;
            inp[i] = src < ctx.length ? ctx[src] : cont[src - ctx.length];
        }
        // A continuation longer than the window keeps only the tokens that still have a predicting position.
        int[] scored = cont.length <= inp.length ? cont : Arrays.copyOfRange(cont, cont.length - inp.length, cont.length);
        return new Input(inp, scored);
    }

    /** Log-likelihood of every request's continuation, in request order. */
    @Override public double[] score(List<EncodedRequest> requests, Progress progress) {
        int n = requests.size();
        Input[] inputs = new Input[n];
        for (int i = 0; i < n; i++) inputs[i] = input(requests.get(i), model.maxLength());

        // Host each input on the longest input it is a prefix of. In lexicographic order, all inputs
        // extending X directly follow X, so one backward pass finds every host.
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Arrays.compare(inputs[a].tokens(), inputs[b].tokens()));
        int[] host = new int[n];
        for (int k = n - 1; k >= 0; k--) {
            int i = order[k];
            host[i] = i;
            if (k + 1 < n) {
                int next = order[k + 1];
                if (isPrefix(inputs[i].tokens(), inputs[next].tokens())) host[i] = host[next];
            }
        }
        List<Integer> hosts = new ArrayList<>();
        for (int i = 0; i < n; i++) if (host[i] == i) hosts.add(i);
        hosts.sort(Comparator.comparingInt((Integer i) -> -inputs[i].tokens().length).thenComparingInt(i -> i));

        // Requests per host, to read them while the host's logits are in memory.
        List<List<Integer>> guests = new ArrayList<>(n);
        for (int i = 0; i < n; i++) guests.add(null);
        for (int i = 0; i < n; i++) {
            List<Integer> g = guests.get(host[i]);
            if (g == null) guests.set(host[i], g = new ArrayList<>());
            g.add(i);
        }

        double[] ll = new double[n];
        int vocab = model.vocabSize();
        int from = 0;
        while (from < hosts.size()) {
            int longest = Math.max(1, inputs[hosts.get(from)].tokens().length);
            int to = from + 1;
            while (to < hosts.size() && to - from < maxBatchSequences) {
                int len = inputs[hosts.get(to)].tokens().length;
                if ((long) (to - from + 1) * longest * vocab > maxBatchLogits || 4L * len < 3L * longest) break;
                to++;
            }
            List<Integer> batch = hosts.subList(from, to);
            List<int[]> seqs = new ArrayList<>(batch.size());
            for (int h : batch) seqs.add(padded(inputs[h].tokens(), longest));
            List<Matrix> out = model.logitsBatch(seqs);
            for (int b = 0; b < batch.size(); b++) {
                Matrix m = out.get(b);
                for (int r : guests.get(batch.get(b))) {
                    ll[r] = continuationLogLikelihood(m, inputs[r]);
                    if (progress != null) progress.step(1);
                }
            }
            from = to;
        }
        return ll;
    }

    /** {@code tokens} right-padded to {@code length} with its last token (id 0 for an empty input); padding is never scored. */
    static int[] padded(int[] tokens, int length) {
        if (tokens.length == length) return tokens;
        int[] p = Arrays.copyOf(tokens, length);
        int fill = tokens.length > 0 ? tokens[tokens.length - 1] : 0;
        Arrays.fill(p, tokens.length, length, fill);
        return p;
    }

    private static boolean isPrefix(int[] a, int[] b) {
        return a.length <= b.length && Arrays.equals(a, 0, a.length, b, 0, a.length);
    }

    /** Sum over continuation tokens of log-softmax(logits row)[token], in double. */
    static double continuationLogLikelihood(Matrix logits, Input in) {
        int[] cont = in.continuation();
        int start = in.tokens().length - cont.length;
        double sum = 0;
        for (int k = 0; k < cont.length; k++) sum += logSoftmaxAt(logits, start + k, cont[k]);
        return sum;
    }

    static double logSoftmaxAt(Matrix logits, int row, int token) {
        float[] d = logits.data();
        int off = logits.offset(row), v = logits.cols();
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < v; j++) max = Math.max(max, d[off + j]);
        double s = 0;
        for (int j = 0; j < v; j++) s += Math.exp(d[off + j] - max);
        return d[off + token] - max - Math.log(s);
    }
}
