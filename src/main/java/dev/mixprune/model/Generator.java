package dev.mixprune.model;

import dev.mixprune.tensor.Matrix;

import java.util.Arrays;
import java.util.function.IntPredicate;
import dev.mixprune.tensor.ThreadTeam;
import dev.mixprune.tensor.VectorOps;

/**
 * Token-by-token decoding with a {@link KvCache}: every linear is a GEMV on one token's vector.
 * Numerically the same computation as {@link LlamaForward} (same RoPE table, float softmax).
 * Not thread-safe: one Generator per sequence.
 */
public final class Generator {
    /** Called for every token that is emitted (forced prompt tokens included), with its predecessor. */
    @FunctionalInterface
    public interface TokenListener {
        void onToken(int prev, int next);
    }

    private final LlamaWeights w;
    private final LlamaConfig c;
    private final KvCache cache;
    private final RopeTable rope;
    // Scratch buffers for one position.
    private final float[] x, xb, q, k, v, att, proj, hb, hb2, logits;

    public Generator(LlamaWeights w, int maxPositions) {
        this.w = w;
        this.c = w.config();
        this.cache = new KvCache(c, maxPositions);
        this.rope = RopeTable.of(c, maxPositions);
        x = new float[c.dim()];
        xb = new float[c.dim()];
        q = new float[c.qDim()];
        k = new float[c.kvDim()];
        v = new float[c.kvDim()];
        att = new float[c.qDim()];
        proj = new float[c.dim()];
        hb = new float[c.hiddenDim()];
        hb2 = new float[c.hiddenDim()];
        logits = new float[c.vocabSize()];
    }

    public int capacity() { return cache.capacity(); }

    /**
     * Runs token at position pos (positions 0..pos-1 must have been fed before) and returns the
     * next-token logits. The returned array is reused by the next call.
     */
    public float[] step(int token, int pos) {
        if (token < 0 || token >= c.vocabSize()) throw new IllegalArgumentException("token id " + token + " outside the vocabulary [0, " + c.vocabSize() + ")");
        if (pos < 0 || pos >= cache.capacity()) throw new IllegalArgumentException("position " + pos + " outside [0, " + cache.capacity() + ")");
        int dim = c.dim();
        System.arraycopy(w.tokenEmbedding().data(), token * dim, x, 0, dim);
        for (int l = 0; l < c.nLayers(); l++) {
            BlockWeights b = w.block(l);
            LayerOps.rmsnorm(x, 0, b.attNorm(), c.normEps(), xb, 0);
            gemv(b, LayerKind.WQ, xb, q);
            gemv(b, LayerKind.WK, xb, k);
            gemv(b, LayerKind.WV, xb, v);
            rope.rotate(q, 0, c.nHeads(), pos);
            rope.rotate(k, 0, c.nKvHeads(), pos);
            cache.store(l, pos, k, v);
            attend(l, pos);
            gemv(b, LayerKind.WO, att, proj);
            VectorOps.add(x, 0, x, 0, proj, 0, dim);

            LayerOps.rmsnorm(x, 0, b.ffnNorm(), c.normEps(), xb, 0);
            gemv(b, LayerKind.W1, xb, hb);
            gemv(b, LayerKind.W3, xb, hb2);
            VectorOps.siluMul(hb, 0, hb2, 0, c.hiddenDim());
            gemv(b, LayerKind.W2, hb, proj);
            VectorOps.add(x, 0, x, 0, proj, 0, dim);
        }
        LayerOps.rmsnorm(x, 0, w.finalNorm(), c.normEps(), xb, 0);
        Linear.gemv(w.head(), xb, logits);
        return logits;
    }

    /** y = W x (+ bias). */
    private static void gemv(BlockWeights b, LayerKind kind, float[] x, float[] y) {
        Linear.gemv(b.weight(kind), x, y);
        float[] bias = b.bias(kind);
        if (bias != null) VectorOps.add(y, 0, y, 0, bias, 0, bias.length);
    }

    private void attend(int layer, int pos) {
        int hs = c.headSize(), rep = c.kvRepeat(), kvDim = c.kvDim();
        float[] keys = cache.keys(layer), values = cache.values(layer);
        ThreadTeam.RangeBody body = (lo, hi) -> {
            float[] scores = new float[pos + 1];
            for (int h = lo; h < hi; h++) attendCached(q, h * hs, keys, values, kvDim, (h / rep) * hs, pos, hs, scores, att);
        };
        // Threads only pay off when there is real work per head.
        if ((long) (pos + 1) * hs * c.nHeads() >= 1 << 16) ThreadTeam.shared().forRange(0, c.nHeads(), 1, body);
        else body.run(0, c.nHeads());
    }

    /**
     * One query head against the cached positions 0..pos ([pos][kvDim] rows): the same computation
     * as {@link LayerOps#attendOne} (its scalar reference) with vectorised dot products and axpys.
     */
    private static void attendCached(float[] q, int qOff, float[] keys, float[] values, int kvDim, int kvOff, int pos, int hs,
                                     float[] scores, float[] out) {
        float scale = (float) (1.0 / Math.sqrt(hs));
        for (int t = 0; t <= pos; t++) scores[t] = VectorOps.dot(q, qOff, keys, t * kvDim + kvOff, hs) * scale;
        LayerOps.softmax(scores, pos + 1);
        java.util.Arrays.fill(out, qOff, qOff + hs, 0f);
        for (int t = 0; t <= pos; t++) VectorOps.axpy(scores[t], values, t * kvDim + kvOff, out, qOff, hs);
    }

    /**
     * Feeds tokens at positions 0..n-1 in one batched forward (a GEMM per linear instead of n
     * GEMVs), filling the cache, and returns the logits at position n-1 (buffer reused by the next
     * call). Starts the sequence afresh: earlier cache contents are overwritten.
     */
    public float[] prefill(int[] tokens) {
        int n = tokens.length;
        if (n == 0 || n > cache.capacity()) throw new IllegalArgumentException("prefill of " + n + " tokens, the kv cache holds 1.." + cache.capacity());
        Matrix x = LlamaForward.embed(w, new int[][]{tokens});
        for (int b = 0; b < c.nLayers(); b++) {
            x = BlockForward.forward(c, w.block(b), b, x, 1, n, ActivationCapture.NONE, rope,
                    (block, k, v) -> cache.storePrefix(block, k.data(), v.data(), n));
        }
        Matrix last = LlamaForward.head(w, x.rowSlice(n - 1, n));
        System.arraycopy(last.data(), 0, logits, 0, logits.length);
        return logits;
    }

    /**
     * llama2.c run.c semantics: feeds prompt[0] at position 0 (normally BOS), forces the remaining
     * prompt tokens, then samples, for at most {@code steps} positions in total; stops early when
     * a token with {@code stop.test(token)} is produced (that token is not emitted; the caller
     * names its tokenizer's stop tokens, e.g. BOS and EOS). Returns every token fed or emitted,
     * starting with prompt[0]. A prompt of several tokens is fed with {@link #prefill} (same
     * numbers within float rounding, much faster on long prompts).
     */
    public int[] generate(int[] prompt, int steps, Sampler sampler, IntPredicate stop, TokenListener listener) {
        return generate(prompt, steps, sampler, stop, listener, true);
    }

    /** As {@link #generate(int[], int, Sampler, IntPredicate, TokenListener)}; {@code batchedPrefill} false feeds the prompt token by token as run.c does. */
    public int[] generate(int[] prompt, int steps, Sampler sampler, IntPredicate stop, TokenListener listener, boolean batchedPrefill) {
        if (prompt.length == 0) throw new IllegalArgumentException("prompt must hold at least one token (BOS)");
        if (steps > cache.capacity()) throw new IllegalArgumentException(steps + " steps exceed the kv cache of " + cache.capacity() + " positions");
        int[] out = new int[Math.max(steps, 0) + 1];
        int n = 0;
        out[n++] = prompt[0];
        int token = prompt[0];
        int start = 0;
        float[] prefilled = null;
        int m = Math.min(prompt.length, steps); // positions covered by forced prompt tokens
        if (batchedPrefill && m >= 2 && noStopToken(prompt, 1, m, stop)) {
            prefilled = prefill(Arrays.copyOf(prompt, m));
            for (int i = 1; i < m; i++) {
                if (listener != null) listener.onToken(prompt[i - 1], prompt[i]);
                out[n++] = prompt[i];
            }
            token = prompt[m - 1];
            start = m - 1;
        }
        for (int pos = start; pos < steps; pos++) {
            float[] l = prefilled != null && pos == start ? prefilled : step(token, pos);
            int next = pos + 1 < prompt.length ? prompt[pos + 1] : sampler.sample(l, c.vocabSize());
            if (stop.test(next)) break;
            if (listener != null) listener.onToken(token, next);
            out[n++] = next;
            token = next;
        }
        return Arrays.copyOf(out, n);
    }

    private static boolean noStopToken(int[] t, int from, int to, IntPredicate stop) {
        for (int i = from; i < to; i++) if (stop.test(t[i])) return false;
        return true;
    }

    /** Convenience for tests: logits at every position of one sequence, via the cache. */
    public static Matrix decodeAll(LlamaWeights w, int[] tokens) {
        Generator g = new Generator(w, Math.max(1, tokens.length));
        Matrix m = new Matrix(tokens.length, w.config().vocabSize());
        for (int t = 0; t < tokens.length; t++) System.arraycopy(g.step(tokens[t], t), 0, m.data(), t * m.cols(), m.cols());
        return m;
    }
}
