package dev.mixprune.eval.zeroshot;

import dev.mixprune.tokenizer.SentencePieceTokenizer;
import dev.mixprune.SharedFiles;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.io.TokenizerBin;
import dev.mixprune.tokenizer.Vocabulary;
import dev.mixprune.progress.ProgressFactory;
import dev.mixprune.tensor.Matrix;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ScoringTest {
    private static Tokenizer tok;

    @BeforeAll
    static void loadTokenizer() throws Exception {
        tok = SentencePieceTokenizer.llama2c(TokenizerBin.read(SharedFiles.require(SharedFiles.tok512()), 512));
    }

    // ---- naive per-choice reference, written from §8.1 with Python-style list slicing ----

    private static double naiveLogLikelihood(SequenceScorer model, int[] ctx, int[] cont) {
        List<Integer> whole = new ArrayList<>();
        for (int t : ctx) whole.add(t);
        for (int t : cont) whole.add(t);
        int start = Math.max(0, whole.size() - (model.maxLength() + 1));
        List<Integer> window = whole.subList(start, whole.size());
        List<Integer> inp = window.subList(0, window.size() - 1);
        int inplen = inp.size();
        if (cont.length == 0) return 0;
        Matrix logits = model.logitsBatch(List.of(inp.stream().mapToInt(Integer::intValue).toArray())).getFirst();
        double sum = 0;
        int contlen = Math.min(cont.length, inplen);
        for (int k = 0; k < contlen; k++) {
            int row = inplen - contlen + k;
            int target = cont[cont.length - contlen + k];
            double z = 0;
            for (int j = 0; j < logits.cols(); j++) z += Math.exp(logits.get(row, j));
            sum += logits.get(row, target) - Math.log(z);
        }
        return sum;
    }

    private static int[] randomTokens(Random r, int n, int vocab) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = 3 + r.nextInt(vocab - 3);
        return a;
    }

    @Test
    void batchedScoringMatchesNaivePerChoiceReference() {
        Random r = new Random(7);
        FakeCausalModel model = new FakeCausalModel(37, 24);
        List<EncodedRequest> reqs = new ArrayList<>();
        for (int d = 0; d < 40; d++) {
            int[] ctx = randomTokens(r, 1 + r.nextInt(30), 37);   // some longer than the window: truncation
            int choices = 2 + r.nextInt(3);
            for (int c = 0; c < choices; c++) reqs.add(new EncodedRequest(ctx, randomTokens(r, 1 + r.nextInt(c == 0 ? 1 : 6), 37)));
        }
        reqs.add(new EncodedRequest(new int[]{tok.specialTokens().eos()}, randomTokens(r, 3, 37)));   // empty context
        reqs.add(new EncodedRequest(randomTokens(r, 5, 37), randomTokens(r, 30, 37)));      // continuation longer than the window
        // Small batches force many forward calls.
        double[] got = new LoglikelihoodScorer(model, 37L * 50, 3).score(reqs, null);
        for (int i = 0; i < reqs.size(); i++) {
            double want = naiveLogLikelihood(model, reqs.get(i).context(), reqs.get(i).continuation());
            assertThat(got[i]).as("request %d", i).isCloseTo(want, within(1e-6 * Math.max(1, Math.abs(want))));
        }
        for (List<int[]> call : model.calls.subList(0, model.calls.size() - reqs.size())) {
            assertThat(call.size()).isLessThanOrEqualTo(3);
        }
    }

    @Property(tries = 30)
    void scoringIsIndependentOfBatchLimits(@ForAll @IntRange(min = 1, max = 8) int maxSeqs, @ForAll @IntRange(min = 1, max = 2000) int maxLogits,
                                           @ForAll @IntRange(min = 0, max = 10_000) int seed) {
        Random r = new Random(seed);
        FakeCausalModel model = new FakeCausalModel(11, 9);
        List<EncodedRequest> reqs = new ArrayList<>();
        for (int i = 0; i < 12; i++) reqs.add(new EncodedRequest(randomTokens(r, 1 + r.nextInt(8), 11), randomTokens(r, r.nextInt(4), 11)));
        double[] a = new LoglikelihoodScorer(model, maxLogits, maxSeqs).score(reqs, null);
        double[] b = new LoglikelihoodScorer(model, 1L << 30, 1000).score(reqs, null);
        assertThat(a).containsExactly(b);
        for (int i = 0; i < reqs.size(); i++) {
            assertThat(a[i]).isCloseTo(naiveLogLikelihood(model, reqs.get(i).context(), reqs.get(i).continuation()), within(1e-6));
        }
    }

    @Test
    void singleTokenChoicesOfOneContextShareOneForward() {
        FakeCausalModel model = new FakeCausalModel(20, 64);
        int[] ctx = {5, 6, 7, 8};
        List<EncodedRequest> reqs = List.of(new EncodedRequest(ctx, new int[]{9}), new EncodedRequest(ctx, new int[]{10}),
                new EncodedRequest(ctx, new int[]{11, 12}));
        new LoglikelihoodScorer(model).score(reqs, null);
        // All three inputs are prefixes of [5,6,7,8,11]: one sequence, one call.
        assertThat(model.calls).hasSize(1);
        assertThat(model.calls.getFirst()).hasSize(1);
        assertThat(model.calls.getFirst().getFirst()).containsExactly(5, 6, 7, 8, 11);
    }

    @Test
    void batchesArePaddedToOneLengthAndStopAtThreeQuartersOfTheLongest() {
        FakeCausalModel model = new FakeCausalModel(20, 64);
        Random r = new Random(1);
        List<EncodedRequest> reqs = new ArrayList<>();
        for (int len : new int[]{9, 12, 10, 11, 5, 4}) reqs.add(new EncodedRequest(randomTokens(r, len, 20), randomTokens(r, 2, 20)));
        double[] got = new LoglikelihoodScorer(model, 1L << 30, 64).score(reqs, null);
        // Inputs are len+1 long: 13, 12, 11, 10 in one batch (10 >= 3/4 * 13 = 9.75), then 6, 5.
        assertThat(model.calls).hasSize(2);
        assertThat(model.calls.get(0)).hasSize(4).allSatisfy(s -> assertThat(s).hasSize(13));
        assertThat(model.calls.get(1)).hasSize(2).allSatisfy(s -> assertThat(s).hasSize(6));
        for (int i = 0; i < reqs.size(); i++) {
            assertThat(got[i]).isCloseTo(naiveLogLikelihood(model, reqs.get(i).context(), reqs.get(i).continuation()), within(1e-9));
        }
    }

    @Test
    void truncationKeepsTheLastMaxLenPlusOneTokensMinusTheLast() {
        LoglikelihoodScorer.Input in = LoglikelihoodScorer.input(new EncodedRequest(new int[]{1, 2, 3, 4, 5}, new int[]{6, 7}), 4);
        assertThat(in.tokens()).containsExactly(3, 4, 5, 6);   // [1..7][-5:] = 3..7, [:-1] = 3..6
        assertThat(in.continuation()).containsExactly(6, 7);
    }

    // ---- encoding (§8.1) on the real stories260K tokenizer ----

    @Test
    void encodingMovesContextWhitespaceAndSplitsTheWholeEncoding() {
        RequestEncoder enc = new RequestEncoder(tok);
        EncodedRequest e = enc.encode(new Request("Question: Is the sky blue?\nAnswer:", " yes"));
        int[] whole = tok.encode("Question: Is the sky blue?\nAnswer: yes");
        int[] ctx = tok.encode("Question: Is the sky blue?\nAnswer:");
        assertThat(whole[0]).isNotEqualTo(tok.specialTokens().bos());
        assertThat(e.context()).containsExactly(ctx).doesNotContain(tok.specialTokens().bos());
        assertThat(e.continuation()).containsExactly(Arrays.copyOfRange(whole, ctx.length, whole.length));
        assertThat(tok.decodeString(e.continuation())).isEqualTo(" yes");

        // Trailing whitespace of the context belongs to the continuation: same tokens as without it.
        EncodedRequest moved = enc.encode(new Request("Once upon a time ", "there was"));
        EncodedRequest plain = enc.encode(new Request("Once upon a time", " there was"));
        assertThat(moved.context()).containsExactly(plain.context());
        assertThat(moved.continuation()).containsExactly(plain.continuation());
    }

    @Test
    void emptyContextIsEos() {
        EncodedRequest e = new RequestEncoder(tok).encode(new Request("", " the end"));
        assertThat(e.context()).containsExactly(tok.specialTokens().eos());
        assertThat(e.continuation()).containsExactly(tok.encode(" the end"));
        EncodedRequest ws = new RequestEncoder(tok).encode(new Request("  ", "end"));
        assertThat(ws.context()).containsExactly(tok.specialTokens().eos());
        assertThat(ws.continuation()).containsExactly(tok.encode("  end"));
    }

    // ---- end to end on the fake model: evaluator agrees with the naive reference ----

    @Test
    void evaluatorAgreesWithNaiveReferenceOnRealDocs() throws Exception {
        FakeCausalModel model = new FakeCausalModel(512, 64);
        ZeroShotEvaluator ev = new ZeroShotEvaluator(tok, new LoglikelihoodScorer(model, 512L * 200, 5), ProgressFactory.quiet());
        for (ZeroShotTask t : new ZeroShotTask[]{ZeroShotTask.ARC_EASY, ZeroShotTask.WINOGRANDE, ZeroShotTask.HELLASWAG}) {
            List<Doc> docs = TaskLoader.load(t, SharedFiles.resolve("data/tasks")).subList(0, 6);
            List<ZeroShotEvaluator.DocScore> scores = ev.scoreDocs(t, docs);
            int correct = 0;
            for (int d = 0; d < docs.size(); d++) {
                Doc doc = docs.get(d);
                double[] ll = new double[doc.requests().size()];
                for (int c = 0; c < ll.length; c++) {
                    Request q = doc.requests().get(c);
                    int[] ctx = tok.encode(q.context());
                    int[] whole = tok.encode(q.context() + q.continuation());
                    ll[c] = naiveLogLikelihood(model, ctx, Arrays.copyOfRange(whole, ctx.length, whole.length));
                }
                assertThat(scores.get(d).loglikelihoods()).as(t.id() + " doc " + d).containsExactly(ll, within(1e-6));
                int best = 0;
                for (int c = 1; c < ll.length; c++) if (ll[c] > ll[best]) best = c;
                assertThat(scores.get(d).predAcc()).isEqualTo(best);
                if (best == doc.gold()) correct++;
            }
            TaskResult res = ZeroShotEvaluator.summarize(t, docs, scores);
            assertThat(res.acc()).isEqualTo(correct / 6.0);
            assertThat(res.hasAccNorm()).isEqualTo(t.hasAccNorm());
        }
    }
}
