package dev.mixprune.allocate;

import dev.mixprune.BadInputException;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.model.ActivationCapture;
import dev.mixprune.model.BlockForward;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LayerOps;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaForward;
import dev.mixprune.resources.HeapGuard;
import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Matrix;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Fitness of a candidate on fitness windows (calibration text evaluation never sees), evaluated
 * block by block from a {@link BlockSource}: each block is read as float32 (from the memory-mapped
 * file), every layer turned into its level by the {@link LevelMasks}, the residual streams of the
 * sample pushed through it, and the block dropped before the next is read. Nothing is copied per
 * candidate beyond one block, and the model is never whole in float32. The classifier is read in
 * vocabulary chunks, so no logits matrix wider than a chunk exists.
 *
 * <p>KL: mean over predicted positions of KL(P_dense || P_candidate). The dense distributions are
 * computed once into {@link DenseTargets}: by default the dense top-k tokens of every position plus
 * the remaining mass (memory positions x k, independent of the vocabulary), or exactly (positions x
 * vocabulary floats, {@code topK = 0}, for comparison). PPL: exp(mean next-token NLL). The last
 * position of each (possibly truncated) window is dropped, as EvoPress does; positions are weighted
 * equally.
 *
 * <p>A self-contained, deterministic task: the same source, masks, windows and options give the
 * same value for a genome and sample whatever else ran before (batches and summation order depend
 * only on the sample).
 */
public final class KlFitness implements Fitness {
    public enum Kind { KL, PPL }

    public static final int DEFAULT_TOP_K = 64;
    /** Dense windows per group of the once-only dense pass (its residual streams are held together). */
    static final int DENSE_GROUP = 8;

    /**
     * @param topK       KL only: dense top-k tokens kept per position (0: the exact distribution)
     * @param batchBytes activation budget of one forward batch ({@link LlamaForward#batchSeqsFor})
     * @param vocabChunk classifier rows read and multiplied at once
     */
    public record Options(Kind kind, int topK, long batchBytes, int vocabChunk) {
        public Options {
            if (topK < 0) throw new IllegalArgumentException("--kl-topk must be >= 0 (0 = exact), got " + topK);
            if (batchBytes < 1) throw new IllegalArgumentException("batch budget must be positive");
            if (vocabChunk < 1) throw new IllegalArgumentException("vocabulary chunk must be positive");
        }

        /** The defaults: top-64 KL, LlamaForward's batch budget, the classifier in chunks of at most 32 MiB. */
        public static Options defaults(Kind kind, LlamaConfig c) {
            return new Options(kind, DEFAULT_TOP_K, LlamaForward.DEFAULT_BATCH_BYTES, vocabChunkFor(c, 32L << 20));
        }

        public Options withTopK(int k) { return new Options(kind, k, batchBytes, vocabChunk); }

        public Options withBatchBytes(long b) { return new Options(kind, topK, b, vocabChunk); }

        public boolean exact() { return kind == Kind.KL && topK == 0; }
    }

    /** Classifier rows per chunk so that one chunk is at most {@code bytes} in float32 (the whole vocabulary when it fits). */
    public static int vocabChunkFor(LlamaConfig c, long bytes) {
        return (int) Math.max(1, Math.min(c.vocabSize(), bytes / (4L * c.dim())));
    }

    /** Where evaluation time goes, in nanoseconds, summed over all evaluations. */
    public record Timings(long evaluations, long tokens, long maskNanos, long forwardNanos, long lossNanos) {}

    private final BlockSource source;
    private final LevelMasks masks;
    private final LlamaConfig config;
    private final List<int[]> windows;
    private final Options options;
    private final String dataId;
    private final HeapGuard guard;
    private final DenseTargets targets; // KL only
    private long evals, tokens, maskNs, forwardNs, lossNs;

    /**
     * @param masks null evaluates the dense model (tests, the dense pass)
     * @param guard collects garbage at block boundaries (see {@link HeapGuard})
     */
    public KlFitness(BlockSource source, LevelMasks masks, List<int[]> windows, Options options, String dataId, HeapGuard guard) {
        this(source, masks, windows, options, dataId, guard, null);
    }

    /** @param targets the dense targets when already computed (KL; null: computed here from the source) */
    private KlFitness(BlockSource source, LevelMasks masks, List<int[]> windows, Options options, String dataId, HeapGuard guard,
                      DenseTargets targets) {
        if (windows.isEmpty()) throw new IllegalArgumentException("no fitness windows");
        int len = windows.get(0).length;
        for (int[] w : windows) if (w.length != len) throw new IllegalArgumentException("fitness windows must have equal length");
        if (len < 2) throw new IllegalArgumentException("fitness windows need at least 2 tokens");
        this.source = source;
        this.masks = masks;
        this.config = source.config();
        this.windows = List.copyOf(windows);
        this.options = options;
        this.dataId = dataId;
        this.guard = guard;
        if (masks != null && !masks.space().config().equals(config)) throw new IllegalArgumentException("masks are for another model shape");
        this.targets = options.kind() != Kind.KL ? null : targets != null ? targets : denseTargets();
    }

    /**
     * Everything another process needs, besides the model file, to evaluate exactly like this
     * fitness (a cluster member): the windows, options and data id, the masks' portable form, and
     * the dense targets written to {@code targets} (KL; null for PPL). The files must stay in place
     * while the snapshot is used.
     */
    public record Snapshot(List<int[]> windows, Options options, String dataId, LevelMasks.Portable masks, Path targets, long heapLimit) {}

    /** Writes the dense targets into {@code dir} and describes the rest; see {@link Snapshot}. */
    public Snapshot snapshot(Path dir) throws IOException {
        if (masks == null) throw new IllegalStateException("a dense-only fitness has nothing to distribute");
        Path t = null;
        if (targets != null) {
            t = dir.resolve("dense-targets.bin");
            targets.write(t);
        }
        return new Snapshot(windows, options, dataId, masks.portable(), t, guard.limit());
    }

    /**
     * The fitness a {@link Snapshot} describes, on {@code source} (the same model, opened by this
     * process) with the masks rebuilt from their portable form: the same values for every genome and
     * sample as the original (same masks, targets, batches and summation order). The returned
     * fitness owns the masks (close them with {@link #closeMasks}).
     */
    public static KlFitness restore(BlockSource source, Snapshot s) throws IOException {
        HeapGuard guard = new HeapGuard(s.heapLimit());
        LevelMasks masks = LevelMasks.restore(source.config(), s.masks().header(), s.masks().data());
        try {
            int len = s.windows().get(0).length;
            DenseTargets t = s.options().kind() == Kind.KL
                    ? DenseTargets.read(s.targets(), s.windows().size(), len, source.config().vocabSize()) : null;
            if (t != null && t.k() != (s.options().exact() ? 0 : Math.min(s.options().topK(), source.config().vocabSize()))) {
                throw BadInputException.in(s.targets(), "dense targets keep " + t.k() + " tokens per position, the options say top-" + s.options().topK());
            }
            return new KlFitness(source, masks, s.windows(), s.options(), s.dataId(), guard, t);
        } catch (IOException | RuntimeException e) {
            masks.close();
            throw e;
        }
    }

    /** Closes the masks this fitness reads (for a restored fitness, which owns them). */
    public void closeMasks() {
        if (masks != null) masks.close();
    }

    /** The model shape this fitness evaluates. */
    public LlamaConfig config() { return config; }

    /** One forward batch: sequences of one length, each the leading tokens of a pool window. */
    private record Batch(int[] windowIndex, int length) {
        int tokens() { return windowIndex.length * length; }
    }

    /** The dense pass, in groups of {@link #DENSE_GROUP} windows, each group in LlamaForward's batches. */
    private DenseTargets denseTargets() {
        int len = windows.get(0).length;
        DenseTargets.Builder b = new DenseTargets.Builder(windows.size(), len, config.vocabSize(), options.topK());
        for (int g = 0; g < windows.size(); g += DENSE_GROUP) {
            int n = Math.min(DENSE_GROUP, windows.size() - g);
            int per = LlamaForward.batchSeqsFor(config, len, options.batchBytes());
            List<Batch> batches = new ArrayList<>();
            for (int s = 0; s < n; s += per) {
                int[] idx = new int[Math.min(per, n - s)];
                for (int i = 0; i < idx.length; i++) idx[i] = g + s + i;
                batches.add(new Batch(idx, len));
            }
            Matrix[] normed = normedHiddenTimed(null, batches, new long[1]);
            if (options.exact()) {
                // The exact store needs each row's full-vocabulary log-sum-exp before its probabilities.
                Matrix cls = new Matrix(config.vocabSize(), config.dim(), classifierRows(0, config.vocabSize()));
                for (int i = 0; i < batches.size(); i++) {
                    Matrix logits = Gemm.nt(normed[i], cls);
                    for (int r = 0; r < batches.get(i).tokens(); r++) {
                        b.exactRow(batches.get(i).windowIndex()[r / len], r % len, logits.data(), r * config.vocabSize());
                    }
                }
            } else {
                forEachVocabChunk(batches, normed, (i, v0, logits) -> {
                    int n2 = logits.cols();
                    for (int r = 0; r < batches.get(i).tokens(); r++) {
                        b.topKChunk(batches.get(i).windowIndex()[r / len], r % len, v0, logits.data(), r * n2, n2);
                    }
                });
            }
        }
        return b.finish();
    }

    @Override public double evaluate(int[] genome, TokenSample sample) {
        if (masks != null) masks.space().check(genome);
        int[] wins = sample.windows(), lens = sample.lengths();
        // LlamaForward.logitsBatch's batches: sequences grouped by length in order of appearance, chunked by the budget.
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        for (int i = 0; i < wins.length; i++) byLength.computeIfAbsent(lens[i], l -> new ArrayList<>()).add(i);
        List<Batch> batches = new ArrayList<>();
        List<int[]> sampleIndex = new ArrayList<>(); // per batch: the sample positions of its sequences
        for (Map.Entry<Integer, List<Integer>> e : byLength.entrySet()) {
            int len = e.getKey(), per = LlamaForward.batchSeqsFor(config, len, options.batchBytes());
            List<Integer> idx = e.getValue();
            for (int s = 0; s < idx.size(); s += per) {
                int n = Math.min(per, idx.size() - s);
                int[] w = new int[n], si = new int[n];
                for (int j = 0; j < n; j++) {
                    si[j] = idx.get(s + j);
                    w[j] = wins[si[j]];
                }
                batches.add(new Batch(w, len));
                sampleIndex.add(si);
            }
        }
        long t0 = System.nanoTime();
        long[] maskTime = new long[1];
        Matrix[] normed = normedHiddenTimed(genome, batches, maskTime);
        long t1 = System.nanoTime();

        // Per-position accumulators over the vocabulary chunks, by sample sequence.
        Accumulator[] acc = new Accumulator[wins.length];
        for (int i = 0; i < wins.length; i++) acc[i] = new Accumulator(lens[i]);
        forEachVocabChunk(batches, normed, (bi, v0, logits) -> {
            Batch batch = batches.get(bi);
            int n = logits.cols(), len = batch.length();
            float[] z = logits.data();
            for (int j = 0; j < batch.windowIndex().length; j++) {
                int si = sampleIndex.get(bi)[j], win = batch.windowIndex()[j];
                int[] seq = windows.get(win);
                for (int t = 0; t < len - 1; t++) {
                    int o = (j * len + t) * n;
                    switch (options.kind()) {
                        case PPL -> acc[si].ppl(t, z, o, n, v0, seq[t + 1]);
                        case KL -> {
                            if (options.exact()) acc[si].exact(t, z, o, n, targets.exactProbs(win, t, v0, n));
                            else acc[si].topK(t, z, o, n, v0, targets, win);
                        }
                    }
                }
            }
        });
        double sum = 0;
        long count = 0;
        for (int i = 0; i < wins.length; i++) {
            for (int t = 0; t < lens[i] - 1; t++) {
                sum += switch (options.kind()) {
                    case PPL -> acc[i].nll(t);
                    case KL -> options.exact() ? targets.negEntropy(wins[i], t) - acc[i].exactCross(t) : acc[i].topKKl(t, targets, wins[i]);
                };
                count++;
            }
        }
        long t2 = System.nanoTime();
        synchronized (this) {
            evals++;
            tokens += sample.tokens();
            maskNs += maskTime[0];
            forwardNs += t1 - t0 - maskTime[0];
            lossNs += t2 - t1;
        }
        double mean = sum / Math.max(1, count);
        return options.kind() == Kind.KL ? mean : Math.exp(mean);
    }

    /**
     * The final-normed hidden states of every batch: embeddings, then block by block (read, levels
     * applied, every batch through it, released), then the final RMSNorm. A null genome is the dense model.
     */
    private Matrix[] normedHiddenTimed(int[] genome, List<Batch> batches, long[] maskNanos) {
        Matrix[] x = new Matrix[batches.size()];
        for (int i = 0; i < x.length; i++) {
            Batch b = batches.get(i);
            List<int[]> seqs = new ArrayList<>(b.windowIndex().length);
            for (int w : b.windowIndex()) seqs.add(windows.get(w));
            x[i] = source.embed(seqs, b.length());
        }
        boolean inMemory = source instanceof WeightsBlockSource;
        boolean masked = masks != null && genome != null;
        for (int blk = 0; blk < config.nLayers(); blk++) {
            long tm = System.nanoTime();
            BlockWeights bw = source.block(blk);
            if (masked) {
                // An in-memory source hands out the model's own block: candidates work on a copy.
                if (inMemory) bw = bw.copy();
                for (LayerKind k : LayerKind.values()) {
                    LayerId id = new LayerId(blk, k);
                    masks.apply(id, genome[masks.space().geneOf(id)], bw.linear(k));
                }
            }
            maskNanos[0] += System.nanoTime() - tm;
            for (int i = 0; i < x.length; i++) {
                x[i] = BlockForward.forward(config, bw, blk, x[i], batches.get(i).windowIndex().length, batches.get(i).length(), ActivationCapture.NONE);
            }
            if (!(inMemory && masked)) source.release(bw); // a copy is not the source's to recycle
            guard.check();
        }
        float[] finalNorm = source.finalNorm();
        for (int i = 0; i < x.length; i++) x[i] = LayerOps.rmsnorm(x[i], finalNorm, config.normEps());
        return x;
    }

    @FunctionalInterface
    private interface ChunkConsumer { void accept(int batch, int firstToken, Matrix logits); }

    /** Classifier chunk by chunk (outer), every batch's logits for it (inner): each chunk is read once per evaluation. */
    private void forEachVocabChunk(List<Batch> batches, Matrix[] normed, ChunkConsumer consumer) {
        int vocab = config.vocabSize();
        for (int v0 = 0; v0 < vocab; v0 += options.vocabChunk()) {
            int n = Math.min(options.vocabChunk(), vocab - v0);
            Matrix cls = new Matrix(n, config.dim(), classifierRows(v0, n));
            for (int i = 0; i < batches.size(); i++) consumer.accept(i, v0, Gemm.nt(normed[i], cls));
        }
    }

    private float[] classifierRows(int first, int count) {
        return config.sharedClassifier() ? source.embeddingRows(first, count) : source.classifierRows(first, count);
    }

    /** Per-position running log-sum-exp and cross terms of one sample sequence, over vocabulary chunks. */
    private static final class Accumulator {
        final float[] max;
        final double[] sumAll, sumRest, cross, mass;
        final float[] target;
        final boolean[] started;

        Accumulator(int len) {
            max = new float[len];
            sumAll = new double[len];
            sumRest = new double[len];
            cross = new double[len];
            mass = new double[len];
            target = new float[len];
            started = new boolean[len];
        }

        /** Merges a chunk's (max, sum of exp(z - max)) into position t's running pair; returns the chunk's max. */
        private float chunkMax(float[] z, int o, int n) {
            float m = Float.NEGATIVE_INFINITY;
            for (int v = 0; v < n; v++) m = Math.max(m, z[o + v]);
            return m;
        }

        private void merge(int t, float m, double sAll, double sRest) {
            if (!started[t]) {
                started[t] = true;
                max[t] = m;
                sumAll[t] = sAll;
                sumRest[t] = sRest;
                return;
            }
            float nm = Math.max(max[t], m);
            double a = Math.exp(max[t] - nm), b = Math.exp(m - nm);
            sumAll[t] = sumAll[t] * a + sAll * b;
            sumRest[t] = sumRest[t] * a + sRest * b;
            max[t] = nm;
        }

        double lse(int t) { return max[t] + Math.log(sumAll[t]); }

        void ppl(int t, float[] z, int o, int n, int v0, int next) {
            float m = chunkMax(z, o, n);
            double s = 0;
            for (int v = 0; v < n; v++) s += Math.exp(z[o + v] - m);
            merge(t, m, s, 0);
            if (next >= v0 && next < v0 + n) target[t] = z[o + next - v0];
        }

        double nll(int t) { return lse(t) - target[t]; }

        /** Exact KL: sum_v p_v z_v and sum_v p_v in vocabulary order (p: this chunk's dense probabilities). */
        void exact(int t, float[] z, int o, int n, DenseTargets.Slice p) {
            float m = chunkMax(z, o, n);
            double s = 0;
            for (int v = 0; v < n; v++) s += Math.exp(z[o + v] - m);
            merge(t, m, s, 0);
            double pz = cross[t], ps = mass[t];
            for (int v = 0; v < n; v++) {
                float pv = p.data()[p.offset() + v];
                pz += pv * (double) z[o + v];
                ps += pv;
            }
            cross[t] = pz;
            mass[t] = ps;
        }

        /** sum_v P log Q = sum_v p_v z_v - lse * sum_v p_v. */
        double exactCross(int t) { return cross[t] - lse(t) * mass[t]; }

        /** Top-k KL: sum over the dense top-k of p_v z_v, and the candidate's mass outside the top-k. */
        void topK(int t, float[] z, int o, int n, int v0, DenseTargets targets, int window) {
            float m = chunkMax(z, o, n);
            int[] idx = targets.topIndices();
            double[] p = targets.topProbs();
            int base = targets.topBase(window, t), k = targets.k();
            int j = targets.firstAtOrAbove(window, t, v0);
            double sAll = 0, sRest = 0, pz = 0;
            for (int v = 0; v < n; v++) {
                double e = Math.exp(z[o + v] - m);
                sAll += e;
                if (j < k && idx[base + j] == v0 + v) {
                    pz += p[base + j] * z[o + v];
                    j++;
                } else {
                    sRest += e;
                }
            }
            merge(t, m, sAll, sRest);
            cross[t] += pz;
        }

        double topKKl(int t, DenseTargets targets, int window) {
            double lse = lse(t);
            double kl = targets.constant(window, t) - cross[t] + targets.topMass(window, t) * lse;
            double rest = targets.restMass(window, t);
            if (rest > 0) kl -= rest * (Math.log(sumRest[t]) + max[t] - lse);
            return kl;
        }
    }

    public synchronized Timings timings() { return new Timings(evals, tokens, maskNs, forwardNs, lossNs); }

    public DenseTargets targets() { return targets; }

    public Options options() { return options; }

    @Override public int windowCount() { return windows.size(); }

    @Override public int windowLength() { return windows.get(0).length; }

    @Override public String describe() {
        String k = options.kind() == Kind.PPL ? "ppl" : options.exact() ? "kl-exact" : "kl-top" + options.topK();
        return String.format(Locale.ROOT, "%s,%s,windows=%dx%d,data=%s", k, masks == null ? "dense" : masks.describe(), windows.size(),
                windowLength(), dataId);
    }

    /** Memory of the dense targets for a pool (KL only), for resource plans. */
    public static long targetBytes(Options o, LlamaConfig c, int windows, int seqLen) {
        if (o.kind() != Kind.KL) return 0;
        long positions = (long) windows * seqLen;
        return o.exact() ? positions * (4L * c.vocabSize() + 8) : positions * (12L * Math.min(o.topK(), c.vocabSize()) + 24);
    }

    static int[] copyOf(int[] a, int n) { return Arrays.copyOf(a, n); }
}
