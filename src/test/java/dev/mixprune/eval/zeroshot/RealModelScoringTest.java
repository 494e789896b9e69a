package dev.mixprune.eval.zeroshot;

import dev.mixprune.SharedFiles;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.model.LlamaForward;
import dev.mixprune.progress.ProgressFactory;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Batched and cached-context scoring through the real stories260K forward against one plain
 * forward per choice (written from §8.1 without the scorers' code).
 */
class RealModelScoringTest {
    static LoadedModel m;

    @BeforeAll
    static void load() throws Exception {
        m = ModelLoader.load(SharedFiles.require(SharedFiles.stories260KBin()), SharedFiles.tok512());
    }

    @Test
    void scorersEqualOneForwardPerChoiceOnStories260K() throws Exception {
        Tokenizer tok = m.requireTokenizer();
        LoglikelihoodScorer batched = new LoglikelihoodScorer(new LlamaSequenceScorer(m.weights()), 512L * 600, 7);
        List<LoglikelihoodBackend> backends = List.of(batched, new CachedContextScorer(m.weights(), batched, 1));   // step cost 1: every shared context is cached
        for (ZeroShotTask t : List.of(ZeroShotTask.ARC_EASY, ZeroShotTask.WINOGRANDE, ZeroShotTask.BOOLQ, ZeroShotTask.HELLASWAG)) {
            List<Doc> docs = DocSelection.FILE_ORDER.select(TaskLoader.load(t, SharedFiles.resolve("data/tasks")), t == ZeroShotTask.BOOLQ ? 2 : 3);
            List<double[]> want = docs.stream().map(d -> reference(m, tok, d)).toList();
            for (LoglikelihoodBackend backend : backends) {
                List<ZeroShotEvaluator.DocScore> scores = new ZeroShotEvaluator(tok, backend, ProgressFactory.quiet()).scoreDocs(t, docs);
                for (int d = 0; d < docs.size(); d++) {
                    assertThat(scores.get(d).loglikelihoods()).as("%s %s doc %d", backend.getClass().getSimpleName(), t.id(), d)
                            .containsExactly(want.get(d), within(1e-3));
                }
            }
        }
    }

    @Test
    void cachedPathIsTakenOnlyWhenItSavesWorkAndNeverForTruncatedInputs() throws Exception {
        java.util.Random r = new java.util.Random(5);
        int[] ctx = new int[60], longCtx = new int[600];
        for (int i = 0; i < ctx.length; i++) ctx[i] = 3 + r.nextInt(500);
        for (int i = 0; i < longCtx.length; i++) longCtx[i] = 3 + r.nextInt(500);
        List<EncodedRequest> reqs = List.of(new EncodedRequest(ctx, new int[]{40}), new EncodedRequest(ctx, new int[]{41, 42}),
                new EncodedRequest(longCtx, new int[]{43}), new EncodedRequest(longCtx, new int[]{44}));
        // Counts what reaches the batched path.
        List<Integer> batchedCounts = new java.util.ArrayList<>();
        LoglikelihoodBackend counting = (rs, p) -> {
            batchedCounts.add(rs.size());
            return new LoglikelihoodScorer(new LlamaSequenceScorer(m.weights())).score(rs, p);
        };
        double[] plain = new LoglikelihoodScorer(new LlamaSequenceScorer(m.weights())).score(reqs, null);
        double[] cached = new CachedContextScorer(m.weights(), counting).score(reqs, null);
        // (2-1)*60 > 13*1: the short context is cached; the 600-token one would be truncated: batched.
        assertThat(batchedCounts).containsExactly(2);
        assertThat(cached).containsExactly(plain, within(1e-3));
        batchedCounts.clear();
        new CachedContextScorer(m.weights(), counting, 100).score(reqs, null);   // (2-1)*60 < 99*1: all batched
        assertThat(batchedCounts).containsExactly(4);
    }

    /** One forward per choice: inp = (ctx+cont)[-(513):][:-1], sum of log-softmax at the continuation's positions. */
    private static double[] reference(LoadedModel m, Tokenizer tok, Doc doc) {
        double[] out = new double[doc.requests().size()];
        for (int c = 0; c < out.length; c++) {
            Request q = doc.requests().get(c);
            int[] ctx = tok.encode(q.context());
            int[] whole = tok.encode(q.context() + q.continuation());
            int[] cont = Arrays.copyOfRange(whole, ctx.length, whole.length);
            int keep = Math.min(whole.length, m.weights().config().seqLen() + 1);
            int[] inp = Arrays.copyOfRange(whole, whole.length - keep, whole.length - 1);
            Matrix logits = LlamaForward.logits(m.weights(), inp);
            double ll = 0;
            for (int k = 0; k < cont.length; k++) {
                int row = inp.length - cont.length + k;
                double z = 0;
                for (int j = 0; j < logits.cols(); j++) z += Math.exp(logits.get(row, j));
                ll += logits.get(row, cont[k]) - Math.log(z);
            }
            assertThat(ll).isNegative();
            out[c] = ll;
        }
        return out;
    }
}
