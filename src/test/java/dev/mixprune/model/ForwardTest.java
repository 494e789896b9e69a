package dev.mixprune.model;

import dev.mixprune.io.ModelLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.Llama2cBin;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ForwardTest {
    static LlamaWeights stories;

    @BeforeAll
    static void load() throws Exception {
        stories = ModelLoader.loadWeights(SharedFiles.require(SharedFiles.stories260KBin()));
    }

    static int[] ints(JsonNode a) {
        return StreamSupport.stream(a.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }

    static double maxDiff(Matrix fast, double[][] ref) {
        assertThat(fast.rows()).isEqualTo(ref.length);
        double m = 0;
        for (int t = 0; t < ref.length; t++) {
            assertThat(ref[t].length).isEqualTo(fast.cols());
            for (int j = 0; j < ref[t].length; j++) m = Math.max(m, Math.abs(fast.get(t, j) - ref[t][j]));
        }
        return m;
    }

    @Test
    void matchesGoldenLogitsFixture() throws Exception {
        JsonNode root = new ObjectMapper().readTree(SharedFiles.fixtures().resolve("logits.json").toFile());
        int[] ids = ints(root.get("ids"));
        int[] argmax = ints(root.get("argmax_per_position"));
        Matrix fast = LlamaForward.logits(stories, ids);
        double[][] ref = ReferenceForward.logits(stories, ids);
        int vocab = stories.config().vocabSize();
        for (int pos : ints(root.get("positions"))) {
            JsonNode golden = root.get("logits").get(Integer.toString(pos));
            assertThat(golden.size()).isEqualTo(vocab);
            for (int j = 0; j < vocab; j++) {
                double g = golden.get(j).asDouble();
                assertThat(ref[pos][j]).as("reference pos %d id %d", pos, j).isCloseTo(g, org.assertj.core.data.Offset.offset(1e-9));
                assertThat((double) fast.get(pos, j)).as("fast pos %d id %d", pos, j).isCloseTo(g, org.assertj.core.data.Offset.offset(1e-4));
            }
        }
        double nll = 0;
        for (int t = 0; t < ids.length; t++) {
            int best = 0;
            for (int j = 1; j < vocab; j++) if (fast.get(t, j) > fast.get(t, best)) best = j;
            assertThat(best).as("argmax at %d", t).isEqualTo(argmax[t]);
            if (t + 1 < ids.length) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < vocab; j++) max = Math.max(max, fast.get(t, j));
                for (int j = 0; j < vocab; j++) sum += Math.exp(fast.get(t, j) - max);
                nll += -(fast.get(t, ids[t + 1]) - max - Math.log(sum));
            }
        }
        assertThat(nll / (ids.length - 1)).isCloseTo(root.get("mean_nll_63_predictions").asDouble(), org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test
    void fastMatchesReferenceOnStoriesOverSeveralWindows() {
        Random r = new Random(7);
        int vocab = stories.config().vocabSize();
        List<int[]> seqs = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            int[] t = RandomModels.randomTokens(r, 96, vocab);
            t[0] = 1;
            seqs.add(t);
        }
        seqs.add(RandomModels.randomTokens(r, 512, vocab)); // a full-context window
        seqs.add(RandomModels.randomTokens(r, 17, vocab));  // a different length in the same call
        List<Matrix> fast = LlamaForward.logitsBatch(stories, seqs);
        for (int i = 0; i < seqs.size(); i++) {
            double d = maxDiff(fast.get(i), ReferenceForward.logits(stories, seqs.get(i)));
            assertThat(d).as("window %d", i).isLessThan(1e-4);
        }
    }

    @Test
    void fastMatchesReferenceOnRandomTinyModelsOfAwkwardSizes() {
        // dim, hidden, layers, heads, kvHeads, vocab, shared
        int[][] shapes = {
                {30, 47, 2, 3, 1, 37, 0},   // MQA (1 kv group), odd hidden, unshared classifier
                {36, 53, 2, 6, 2, 41, 1},   // GQA 3 query heads per kv head
                {42, 19, 1, 3, 3, 29, 0},   // plain MHA, hidden < dim
                {66, 101, 3, 3, 1, 67, 1},
        };
        Random r = new Random(11);
        for (int[] s : shapes) {
            LlamaConfig c = new LlamaConfig(s[0], s[1], s[2], s[3], s[4], s[5], 64, 1e-5f, 10000f, s[6] == 1);
            LlamaWeights w = RandomModels.random(c, 1000 + s[0]);
            List<int[]> seqs = List.of(RandomModels.randomTokens(r, 23, c.vocabSize()), RandomModels.randomTokens(r, 23, c.vocabSize()),
                    RandomModels.randomTokens(r, 5, c.vocabSize()), new int[0]);
            List<Matrix> fast = LlamaForward.logitsBatch(w, seqs);
            for (int i = 0; i < seqs.size(); i++) {
                double d = maxDiff(fast.get(i), ReferenceForward.logits(w, seqs.get(i)));
                assertThat(d).as("config %s seq %d", c, i).isLessThan(1e-4);
            }
        }
    }

    @Test
    void batchedWindowsAreIndependentAndStreamingMatches() {
        Random r = new Random(3);
        int[][] windows = new int[5][];
        for (int i = 0; i < windows.length; i++) windows[i] = RandomModels.randomTokens(r, 40, 512);
        Matrix all = LlamaForward.logits(stories, windows);
        for (int i = 0; i < windows.length; i++) {
            Matrix single = LlamaForward.logits(stories, windows[i]);
            Matrix slice = all.rowSlice(i * 40, (i + 1) * 40);
            for (int j = 0; j < single.size(); j++) assertThat(slice.data()[j]).isCloseTo(single.data()[j], org.assertj.core.data.Offset.offset(1e-4f));
        }
        // logitsBatch with a budget that forces one window per internal batch gives the same logits.
        List<Matrix> chunked = LlamaForward.logitsBatch(stories, List.of(windows), 1);
        for (int i = 0; i < windows.length; i++) {
            Matrix slice = all.rowSlice(i * 40, (i + 1) * 40);
            for (int j = 0; j < slice.size(); j++) assertThat(chunked.get(i).data()[j]).isCloseTo(slice.data()[j], org.assertj.core.data.Offset.offset(1e-4f));
        }
        List<Integer> firsts = new ArrayList<>();
        LlamaForward.forEachBatch(stories, windows, 2, (first, logits) -> {
            firsts.add(first);
            Matrix expect = all.rowSlice(first * 40, first * 40 + logits.rows());
            for (int j = 0; j < expect.size(); j++) assertThat(logits.data()[j]).isCloseTo(expect.data()[j], org.assertj.core.data.Offset.offset(1e-4f));
        });
        assertThat(firsts).containsExactly(0, 2, 4);
    }

    @Test
    void scalarFallbackAttentionMatchesTheVectorisedOne() {
        LlamaConfig c = new LlamaConfig(36, 20, 1, 6, 2, 11, 64, 1e-5f, 10000f, true);
        Random r = new Random(8);
        int nSeq = 3, T = 13;
        Matrix q = RandomModels.randomMatrix(r, nSeq * T, c.dim(), 1f);
        Matrix k = RandomModels.randomMatrix(r, nSeq * T, c.kvDim(), 1f);
        Matrix v = RandomModels.randomMatrix(r, nSeq * T, c.kvDim(), 1f);
        assertClose(BlockForward.attentionScalar(c, q, k, v, nSeq, T), BlockForward.attention(c, q, k, v, nSeq, T));
    }

    @Test
    void captureSeesTheInputsOfTheLinearsInOrder() {
        LlamaConfig c = new LlamaConfig(24, 40, 1, 4, 2, 31, 32, 1e-5f, 10000f, true);
        LlamaWeights w = RandomModels.random(c, 5);
        int[][] windows = {RandomModels.randomTokens(new Random(1), 9, 31), RandomModels.randomTokens(new Random(2), 9, 31)};
        Matrix x = LlamaForward.embed(w, windows);
        List<InputGroup> order = new ArrayList<>();
        List<Matrix> seen = new ArrayList<>();
        Matrix out = BlockForward.forward(c, w.block(0), 0, x, 2, 9, (b, g, m) -> {
            assertThat(b).isZero();
            order.add(g);
            seen.add(m.copy());
        });
        assertThat(order).containsExactly(InputGroup.ATTN_IN, InputGroup.ATTN_OUT, InputGroup.FFN_IN, InputGroup.FFN_MID);
        assertThat(seen.get(0).cols()).isEqualTo(c.dim());
        assertThat(seen.get(1).cols()).isEqualTo(c.dim());
        assertThat(seen.get(2).cols()).isEqualTo(c.dim());
        assertThat(seen.get(3).cols()).isEqualTo(c.hiddenDim());
        // The block output is reconstructible from the captures: out = h + W2·mid with h = x + Wo·attOut,
        // and FFN_IN = rmsnorm(h), ATTN_IN = rmsnorm(x).
        Matrix h = dev.mixprune.tensor.Gemm.nt(seen.get(1), w.block(0).wo());
        for (int i = 0; i < h.size(); i++) h.data()[i] += x.data()[i];
        assertClose(LayerOps.rmsnorm(x, w.block(0).attNorm(), c.normEps()), seen.get(0));
        assertClose(LayerOps.rmsnorm(h, w.block(0).ffnNorm(), c.normEps()), seen.get(2));
        Matrix down = dev.mixprune.tensor.Gemm.nt(seen.get(3), w.block(0).w2());
        for (int i = 0; i < down.size(); i++) down.data()[i] += h.data()[i];
        assertClose(down, out);
    }

    static void assertClose(Matrix a, Matrix b) {
        assertThat(a.shape()).isEqualTo(b.shape());
        for (int i = 0; i < a.size(); i++) assertThat(a.data()[i]).isCloseTo(b.data()[i], org.assertj.core.data.Offset.offset(1e-5f));
    }

    @Test
    void emptyBatchesGiveEmptyLogits() {
        assertThat(LlamaForward.logits(stories, new int[0][]).rows()).isZero();
        assertThat(LlamaForward.logits(stories, new int[][]{{}, {}}).rows()).isZero();
        assertThat(LlamaForward.logitsBatch(stories, List.of()).size()).isZero();
        assertThat(LlamaForward.logits(stories, new int[0]).shape()).isEqualTo("0x512");
    }

    @Test
    void rejectsBadShapesAndTokens() {
        assertThatThrownBy(() -> LlamaForward.logits(stories, new int[]{1, 512})).hasMessageContaining("token id 512");
        assertThatThrownBy(() -> LlamaForward.logits(stories, new int[][]{{1, 2}, {1}})).hasMessageContaining("equal lengths");
        Matrix x = new Matrix(10, 64);
        assertThatThrownBy(() -> BlockForward.forward(stories.config(), stories.block(0), 0, x, 3, 3, ActivationCapture.NONE))
                .hasMessageContaining("does not match");
    }
}
