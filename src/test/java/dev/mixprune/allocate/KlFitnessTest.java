package dev.mixprune.allocate;

import dev.mixprune.io.BlockSource;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.TensorDType;
import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaForward;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.resources.HeapGuard;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Candidate evaluation block by block: from the memory-mapped file exactly as from memory; KL and
 * PPL as a naive double computation on the whole masked model; top-k KL against exact KL.
 */
class KlFitnessTest {
    // Unshared classifier; vocabulary 37 (not a multiple of the chunks below), context 16.
    static final LlamaConfig C = new LlamaConfig(12, 20, 3, 2, 1, 37, 16, 1e-5f, 10000f, false);

    static LlamaWeights model(long seed) {
        LlamaWeights t = TinyModels.random(withVocab(C.vocabSize(), true), seed);
        Random r = new Random(seed + 1);
        Matrix cls = TinyModels.random(C.vocabSize(), C.dim(), r);
        return new LlamaWeights(C, t.tokenEmbedding(), t.blocks(), t.finalNorm(), cls);
    }

    static LlamaConfig withVocab(int vocab, boolean shared) {
        return new LlamaConfig(C.dim(), C.hiddenDim(), C.nLayers(), C.nHeads(), C.nKvHeads(), vocab, C.seqLen(), C.normEps(), C.ropeTheta(), shared);
    }

    static List<int[]> windows(int n, int len, long seed) {
        Random r = new Random(seed);
        List<int[]> w = new ArrayList<>();
        for (int i = 0; i < n; i++) w.add(r.ints(len, 0, C.vocabSize()).toArray());
        return w;
    }

    static ScoredLevels wanda(BlockSource src, SearchSpace sp, List<int[]> stats, Path cuts) throws Exception {
        ScoredLevels.Builder b = new ScoredLevels.Builder(sp, PruneMethod.WANDA, cuts);
        DenseStatistics.run(src, stats, false, 2, HeapGuard.none(), b);
        return b.finish();
    }

    static KlFitness.Options opts(KlFitness.Kind k, int topK, int vocabChunk) {
        return new KlFitness.Options(k, topK, LlamaForward.DEFAULT_BATCH_BYTES, vocabChunk);
    }

    static int[] randomGenome(SearchSpace sp, Random r) {
        int[] g = new int[sp.geneCount()];
        for (int i = 0; i < g.length; i++) g[i] = r.nextInt(sp.levels().count());
        return g;
    }

    @Test
    void evaluationFromTheMappedFileEqualsTheInMemoryEvaluation(@TempDir Path dir) throws Exception {
        for (TensorDType dt : new TensorDType[]{TensorDType.F32, TensorDType.F16}) {
            Path file = dir.resolve("m-" + dt + ".gguf");
            ModelWriter.write(model(3), null, null, file, ModelFormat.GGUF, dt);
            LlamaWeights loaded = ModelLoader.load(file, null).weights();
            SearchSpace sp = new SearchSpace(C, Levels.unstructured(0.1), Granularity.LAYER);
            List<int[]> stats = windows(4, 16, 5), fit = windows(6, 16, 6);
            try (MappedBlockSource mapped = MappedBlockSource.openWeights(file);
                 ScoredLevels a = wanda(mapped, sp, stats, dir.resolve("a-" + dt));
                 ScoredLevels b = wanda(new WeightsBlockSource(loaded), sp, stats, dir.resolve("b-" + dt))) {
                for (KlFitness.Kind kind : KlFitness.Kind.values()) {
                    KlFitness fm = new KlFitness(mapped, a, fit, opts(kind, 8, 10), "t", HeapGuard.none());
                    KlFitness fi = new KlFitness(new WeightsBlockSource(loaded), b, fit, opts(kind, 8, 10), "t", HeapGuard.none());
                    Random r = new Random(7);
                    for (int i = 0; i < 6; i++) {
                        int[] g = randomGenome(sp, r);
                        TokenSample s = TokenSample.draw(fit.size(), 16, 20 + 9 * i, new Rng(i));
                        // Same code on the same weights; equal to float rounding only because the forward's
                        // Vector-API reductions differ between JIT tiers within one JVM (docs/msp.md).
                        double x = fm.evaluate(g, s), y = fi.evaluate(g, s);
                        assertThat(x).as("%s %s genome %d", dt, kind, i).isCloseTo(y, within(1e-6 * Math.abs(y)));
                    }
                }
            }
            // Bit for bit the same candidate weights from the file and from memory.
            try (MappedBlockSource mapped = MappedBlockSource.openWeights(file);
                 ScoredLevels a = wanda(mapped, sp, stats, dir.resolve("a2-" + dt));
                 ScoredLevels b = wanda(new WeightsBlockSource(loaded), sp, stats, dir.resolve("b2-" + dt))) {
                for (int blk = 0; blk < C.nLayers(); blk++) {
                    dev.mixprune.model.BlockWeights fromFile = mapped.block(blk);
                    for (dev.mixprune.model.LayerKind k : dev.mixprune.model.LayerKind.values()) {
                        LayerId id = new LayerId(blk, k);
                        for (int l = 0; l < sp.levels().count(); l++) {
                            Matrix x = fromFile.linear(k).copy(), y = loaded.linear(id).copy();
                            a.apply(id, l, x);
                            b.apply(id, l, y);
                            assertThat(x.data()).as("%s %s level %d", dt, id, l).containsExactly(y.data());
                        }
                    }
                    mapped.release(fromFile);
                }
            }
            // The in-memory model was not modified by the candidates.
            assertThat(loaded.linear(new LayerId(1, dev.mixprune.model.LayerKind.W2)).countZeros()).isZero();
        }
    }

    /** The whole masked model as a copy, for the naive references. */
    static LlamaWeights masked(LlamaWeights w, LevelMasks masks, int[] genome) {
        LlamaWeights m = w.copy();
        for (LayerId id : LayerId.all(C)) masks.apply(id, genome[masks.space().geneOf(id)], m.linear(id));
        return m;
    }

    static double[] logSoftmax(float[] z, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < n; v++) max = Math.max(max, z[off + v]);
        double s = 0;
        for (int v = 0; v < n; v++) s += Math.exp(z[off + v] - max);
        double[] r = new double[n];
        for (int v = 0; v < n; v++) r[v] = z[off + v] - max - Math.log(s);
        return r;
    }

    /** KL (topK = 0: exact; else coarse-grained to the dense top-k + rest), and mean NLL, from whole-model logits in double. */
    static double[] naive(LlamaWeights dense, LlamaWeights cand, List<int[]> fit, TokenSample s, int topK) {
        List<int[]> seqs = new ArrayList<>();
        for (int i = 0; i < s.windows().length; i++) seqs.add(Arrays.copyOf(fit.get(s.windows()[i]), s.lengths()[i]));
        List<int[]> full = new ArrayList<>();
        for (int i = 0; i < s.windows().length; i++) full.add(fit.get(s.windows()[i]));
        List<Matrix> d = LlamaForward.logitsBatch(dense, full), c = LlamaForward.logitsBatch(cand, seqs);
        int vocab = C.vocabSize();
        double kl = 0, nll = 0;
        int n = 0;
        for (int i = 0; i < seqs.size(); i++) {
            int[] q = seqs.get(i);
            for (int t = 0; t < q.length - 1; t++) {
                double[] lp = logSoftmax(d.get(i).data(), t * vocab, vocab);
                double[] lq = logSoftmax(c.get(i).data(), t * vocab, vocab);
                if (topK == 0) {
                    for (int v = 0; v < vocab; v++) kl += Math.exp(lp[v]) * (lp[v] - lq[v]);
                } else {
                    Integer[] order = new Integer[vocab];
                    for (int v = 0; v < vocab; v++) order[v] = v;
                    float[] z = d.get(i).data();
                    int o = t * vocab;
                    Arrays.sort(order, (a, b) -> z[o + a] != z[o + b] ? Float.compare(z[o + b], z[o + a]) : Integer.compare(a, b));
                    double pr = 0, qr = 0;
                    for (int j = 0; j < vocab; j++) {
                        int v = order[j];
                        if (j < topK) kl += Math.exp(lp[v]) * (lp[v] - lq[v]);
                        else {
                            pr += Math.exp(lp[v]);
                            qr += Math.exp(lq[v]);
                        }
                    }
                    if (pr > 0) kl += pr * (Math.log(pr) - Math.log(qr));
                }
                nll -= lq[q[t + 1]];
                n++;
            }
        }
        return new double[]{kl / n, Math.exp(nll / n)};
    }

    @Test
    void klTopKAndPplMatchANaiveWholeModelComputationForAnyVocabularyChunk(@TempDir Path dir) throws Exception {
        LlamaWeights w = model(11);
        WeightsBlockSource src = new WeightsBlockSource(w);
        SearchSpace sp = new SearchSpace(C, Levels.nm(4), Granularity.LAYER);
        List<int[]> fit = windows(5, 16, 12);
        try (ScoredLevels masks = wanda(src, sp, windows(3, 16, 13), dir.resolve("c"))) {
            Random r = new Random(14);
            for (int trial = 0; trial < 4; trial++) {
                int[] g = randomGenome(sp, r);
                TokenSample s = new TokenSample(new int[]{3, 0, 4}, new int[]{16, 16, 9});
                LlamaWeights cand = masked(w, masks, g);
                for (int chunk : new int[]{37, 10, 1}) {
                    double exact = new KlFitness(src, masks, fit, opts(KlFitness.Kind.KL, 0, 37), "t", HeapGuard.none()).evaluate(g, s);
                    double[] want = naive(w, cand, fit, s, 0);
                    assertThat(want[0]).as("naive kl").isFinite();
                    assertThat(want[1]).as("naive ppl").isFinite();
                    assertThat(exact).isCloseTo(want[0], within(1e-6 * Math.max(1, want[0])));
                    double ppl = new KlFitness(src, masks, fit, opts(KlFitness.Kind.PPL, 0, chunk), "t", HeapGuard.none()).evaluate(g, s);
                    assertThat(ppl).isCloseTo(want[1], within(1e-6 * want[1]));
                    for (int k : new int[]{1, 5, 16, 37}) {
                        double topk = new KlFitness(src, masks, fit, opts(KlFitness.Kind.KL, k, chunk), "t", HeapGuard.none()).evaluate(g, s);
                        double ref = naive(w, cand, fit, s, k)[0];
                        assertThat(topk).as("k %d chunk %d", k, chunk).isCloseTo(ref, within(1e-6 * Math.max(1, ref)));
                        // The coarse-grained KL never exceeds the exact one, and equals it when k covers the vocabulary
                        // (to the exact store's float probabilities).
                        assertThat(topk).isLessThanOrEqualTo(exact * (1 + 1e-7) + 1e-9);
                        if (k == 37) assertThat(topk).isCloseTo(exact, within(1e-7 * Math.max(1, exact)));
                    }
                }
            }
            // The dense model against itself: zero KL.
            KlFitness dense = new KlFitness(src, null, fit, opts(KlFitness.Kind.KL, 8, 10), "t", HeapGuard.none());
            assertThat(dense.evaluate(null, new TokenSample(new int[]{1, 2}, new int[]{16, 7}))).isCloseTo(0, within(1e-9));
        }
    }

    @Test
    void topKTargetsTakeTheMostProbableTokensAndTheirMemoryIsIndependentOfTheVocabulary(@TempDir Path dir) {
        LlamaWeights w = model(21);
        List<int[]> fit = windows(3, 16, 22);
        KlFitness f = new KlFitness(new WeightsBlockSource(w), null, fit, opts(KlFitness.Kind.KL, 5, 7), "t", HeapGuard.none());
        Matrix z = LlamaForward.logitsBatch(w, List.of(fit.get(2))).get(0);
        for (int t = 0; t < 16; t++) {
            final int tt = t;
            Integer[] order = new Integer[C.vocabSize()];
            for (int v = 0; v < order.length; v++) order[v] = v;
            Arrays.sort(order, (a, b) -> z.get(tt, a) != z.get(tt, b) ? Float.compare(z.get(tt, b), z.get(tt, a)) : Integer.compare(a, b));
            int[] want = Arrays.stream(order).limit(5).mapToInt(Integer::intValue).sorted().toArray();
            assertThat(f.targets().topTokens(2, t)).isEqualTo(want);
            assertThat(f.targets().rest(2, t)).isBetween(0.0, 1.0);
        }
        KlFitness.Options o = opts(KlFitness.Kind.KL, 64, 10);
        LlamaConfig big = withVocab(128_256, false);
        assertThat(KlFitness.targetBytes(o, big, 32, 512)).isEqualTo(KlFitness.targetBytes(o, withVocab(32_000, false), 32, 512));
        assertThat(KlFitness.targetBytes(o, big, 32, 512)).isLessThan(14L << 20);
        assertThat(KlFitness.targetBytes(o.withTopK(0), big, 32, 512)).isGreaterThan(8_000_000_000L);
    }
}
