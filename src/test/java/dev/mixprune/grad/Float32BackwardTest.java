package dev.mixprune.grad;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.Llama2cBin;
import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.backward.Gradients;
import dev.mixprune.model.backward.ParamSet;
import dev.mixprune.model.backward.TestModels;
import dev.mixprune.tensor.ThreadTeam;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The float32 backward (TrainingBlock, AttentionGrad, NllHead, StreamedBackward) against the
 * double-precision reference backward, which is itself checked against finite differences.
 *
 * <p>Tolerance: every gradient element within {@link #TOL} of its tensor's largest |gradient|.
 * float32 rounds at 6e-8; the backward chains some thirty dependent float operations (norms, GEMM
 * sums over up to ~100 terms, softmax over keys and over the vocabulary), which measured up to
 * 2.3e-6 of the tensor's scale on the random models and 5.1e-6 on stories260K (64 tokens; the
 * largest errors are in wq/wk, where the softmax backward subtracts nearly equal numbers). An
 * element-wise RELATIVE bound would be meaningless: gradients pass through zero, and near zero the
 * float and double values differ by the same absolute rounding error. 3e-5 leaves a 6x margin over
 * the worst measured value; a real mistake (a wrong index, a missing term) shows as errors of order 1.
 */
class Float32BackwardTest {
    static final double TOL = 3e-5;

    /** A model big enough for the packed GEMM paths (>= 32 rows) with awkward sizes and GQA 3:1. */
    static LlamaConfig wideGqa(boolean shared) {
        return new LlamaConfig(48, 100, 2, 6, 2, 77, 64, 1e-5f, 10000f, shared);
    }

    record Run(double[] losses, GradientCollector grads, StreamedBackward.Result result) {}

    static Run float32(LlamaWeights w, int[][] seqs, int perGroup, long headChunk, ThreadTeam team) {
        GradientCollector col = new GradientCollector();
        StreamedBackward.Result r = StreamedBackward.run(new WeightsBlockSource(w), seqs, Checkpoints.inMemory(w.config().nLayers()), perGroup,
                col::forBlock, new BlockTape(w.config()), headChunk, StreamedBackward.Listener.NONE, team);
        return new Run(r.losses(), col, r);
    }

    static Run float32(LlamaWeights w, int[]... seqs) {
        return float32(w, seqs, 1, NllHead.DEFAULT_CHUNK_BYTES, ThreadTeam.shared());
    }

    /** Every linear and norm gradient of sequence group g against the double reference of one sequence. */
    static double assertMatchesReference(LlamaWeights w, int[] tokens, Run run, int group) {
        LlamaConfig c = w.config();
        Gradients.Result ref = Gradients.of(w, tokens);
        assertThat(run.losses()[group]).as("loss").isCloseTo(ref.loss(), within(1e-6 * ref.loss()));
        ParamSet p = ref.gradient();
        double worst = 0;
        for (int l = 0; l < c.nLayers(); l++) {
            for (LayerKind k : LayerKind.values()) {
                String name = "blk." + l + "." + k.shortName();
                worst = Math.max(worst, check(name, p.linear(l, k), run.grads().get(group, name)));
                if (c.hasBias(k)) worst = Math.max(worst, check(name + ".bias", p.bias(l, k), run.grads().get(group, name + ".bias")));
            }
            worst = Math.max(worst, check("blk." + l + ".attn_norm", p.attNorm[l], run.grads().get(group, "blk." + l + ".attn_norm")));
            worst = Math.max(worst, check("blk." + l + ".ffn_norm", p.ffnNorm[l], run.grads().get(group, "blk." + l + ".ffn_norm")));
        }
        return worst;
    }

    /** Largest |float − double| / max|double| of one tensor; asserts it is within TOL. */
    static double check(String name, double[] ref, float[] got) {
        assertThat(got).as(name).hasSize(ref.length);
        double scale = 0, err = 0;
        for (int i = 0; i < ref.length; i++) {
            scale = Math.max(scale, Math.abs(ref[i]));
            err = Math.max(err, Math.abs(ref[i] - got[i]));
        }
        assertThat(scale).as(name + " has a non-zero gradient").isPositive();
        if (System.getenv("GRAD_VERBOSE") != null) System.out.printf("  %-16s %.2e%n", name, err / scale);
        assertThat(err / scale).as(name + ": max |float32 - double| / max |double|").isLessThan(TOL);
        return err / scale;
    }

    @Test
    void gradientsOfRandomAwkwardModelsMatchTheDoubleReference() {
        LlamaConfig[] configs = {TestModels.sharedGqa(), TestModels.unsharedGqa(), TestModels.multiHead(), wideGqa(false), wideGqa(true),
                TestModels.qwenLike(), TestModels.llama3Like(), TestModels.allBiasesLinearRope()};
        for (LlamaConfig c : configs) {
            LlamaWeights w = TestModels.random(c, 5);
            int[] tok = TestModels.tokens(c, c.dim() > 20 ? 37 : 11, 7);
            double worst = assertMatchesReference(w, tok, float32(w, tok), 0);
            System.out.printf("float32 vs double, %s: worst %.2e of the tensor's scale%n", c, worst);
            if (!c.biases().isEmpty()) assertThat(float32(w, tok).grads().grads.keySet()).anyMatch(k -> k.endsWith(".bias"));
        }
    }

    @Test
    void inputGradientIsTheEmbeddingGradient() {
        LlamaConfig c = wideGqa(false); // unshared: the reference's embedding gradient is the input scatter alone
        LlamaWeights w = TestModels.random(c, 8);
        int[] tok = TestModels.tokens(c, 33, 9);
        Run run = float32(w, tok);
        double[] ref = Gradients.of(w, tok).gradient().embedding;
        float[] got = new float[ref.length];
        float[] dx = run.result().inputGradient().data();
        for (int t = 0; t < tok.length; t++) {
            for (int i = 0; i < c.dim(); i++) got[tok[t] * c.dim() + i] += dx[t * c.dim() + i];
        }
        check("token_embd", ref, got);
    }

    @Test
    void stories260KGradientsMatchTheDoubleReference() throws Exception {
        LlamaWeights w = dev.mixprune.io.ModelLoader.loadWeights(SharedFiles.require(SharedFiles.stories260KBin()));
        var ids = new ObjectMapper().readTree(Files.readAllBytes(SharedFiles.fixtures().resolve("logits.json"))).get("ids");
        int[] tok = new int[ids.size()];
        for (int i = 0; i < tok.length; i++) tok[i] = ids.get(i).asInt();
        double worst = assertMatchesReference(w, tok, float32(w, tok), 0);
        System.out.printf("float32 vs double, stories260K (%d tokens): worst %.2e of the tensor's scale%n", tok.length, worst);
    }

    @Test
    void groupsGivePerSequenceOrSummedGradients() {
        LlamaConfig c = wideGqa(false);
        LlamaWeights w = TestModels.random(c, 11);
        int[][] seqs = {TestModels.tokens(c, 35, 1), TestModels.tokens(c, 35, 2), TestModels.tokens(c, 35, 3)};
        Run perSequence = float32(w, seqs, 1, NllHead.DEFAULT_CHUNK_BYTES, ThreadTeam.shared());
        Run oneGroup = float32(w, seqs, 3, NllHead.DEFAULT_CHUNK_BYTES, ThreadTeam.shared());
        Run[] alone = new Run[3];
        for (int s = 0; s < 3; s++) {
            alone[s] = float32(w, seqs[s]);
            assertThat(perSequence.losses()[s]).isCloseTo(alone[s].losses()[0], within(1e-6));
        }
        for (String name : alone[0].grads().grads.keySet()) {
            String layer = name.substring(2);
            double[] sum = new double[alone[0].grads().get(0, layer).length];
            for (int s = 0; s < 3; s++) {
                float[] a = alone[s].grads().get(0, layer);
                double[] asDouble = new double[a.length];
                for (int i = 0; i < a.length; i++) {
                    asDouble[i] = a[i];
                    sum[i] += a[i];
                }
                check(layer + " of sequence " + s + " in a batch", asDouble, perSequence.grads().get(s, layer));
            }
            check(layer + " of the batch", sum, oneGroup.grads().get(0, layer));
        }
    }

    @Test
    void resultsAreIdenticalForAnyThreadCount() {
        LlamaConfig c = wideGqa(true);
        LlamaWeights w = TestModels.random(c, 12);
        int[][] seqs = {TestModels.tokens(c, 40, 4), TestModels.tokens(c, 40, 5)};
        Run base;
        try (ThreadTeam one = new ThreadTeam(1, "t1")) {
            base = float32(w, seqs, 1, NllHead.DEFAULT_CHUNK_BYTES, one);
        }
        for (int threads : new int[]{2, 3}) {
            try (ThreadTeam team = new ThreadTeam(threads, "t" + threads)) {
                Run r = float32(w, seqs, 1, NllHead.DEFAULT_CHUNK_BYTES, team);
                assertThat(r.losses()).as(threads + " threads").containsExactly(base.losses());
                for (var e : base.grads().grads.entrySet()) {
                    assertThat(r.grads().grads.get(e.getKey())).as(e.getKey() + ", " + threads + " threads").containsExactly(e.getValue());
                }
                assertThat(r.result().inputGradient().data()).containsExactly(base.result().inputGradient().data());
            }
        }
    }

    @Test
    void vocabularyChunksDoNotChangeTheResult() {
        LlamaConfig c = wideGqa(false);
        LlamaWeights w = TestModels.random(c, 13);
        int[][] seqs = {TestModels.tokens(c, 36, 6), TestModels.tokens(c, 36, 7)};
        Run whole = float32(w, seqs, 1, NllHead.DEFAULT_CHUNK_BYTES, ThreadTeam.shared());
        // 10 vocabulary rows per chunk (8 chunks for 77 tokens), logits in blocks of 16 rows
        Run chunked = float32(w, seqs, 1, 10L * 4 * c.dim(), ThreadTeam.shared());
        assertThat(NllHead.chunkRows(c, 10L * 4 * c.dim())).isEqualTo(10);
        for (int s = 0; s < 2; s++) assertThat(chunked.losses()[s]).isCloseTo(whole.losses()[s], within(1e-6));
        for (var e : whole.grads().grads.entrySet()) {
            float[] a = e.getValue();
            double[] ref = new double[a.length];
            for (int i = 0; i < a.length; i++) ref[i] = a[i];
            check(e.getKey() + " chunked", ref, chunked.grads().grads.get(e.getKey()));
        }
        // and the chunked gradients still match the double reference
        assertMatchesReference(w, seqs[1], chunked, 1);
    }

    @Test
    void rejectsBadInput() {
        LlamaConfig c = TestModels.unsharedGqa();
        LlamaWeights w = TestModels.random(c, 1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> float32(w, new int[]{1, 2, c.vocabSize()}))
                .hasMessageContaining("outside vocabulary");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> float32(w, new int[]{1}))
                .hasMessageContaining("at least 2 tokens");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> float32(w, new int[]{1, 2, 3}, new int[]{1, 2}))
                .hasMessageContaining("equal lengths");
    }

    static Random rnd(long seed) { return new Random(seed); }
}
