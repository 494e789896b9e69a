package dev.mixprune.grad;

import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.backward.Distillation;
import dev.mixprune.model.backward.ParamSet;
import dev.mixprune.model.backward.TestModels;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The float32 distillation head ({@link KlHead}) on the streamed float32 backward against the
 * double reference ({@code model.backward.Distillation}, itself checked against finite
 * differences): loss, every linear, norm, bias, final-norm and classifier gradient, with the
 * tolerance of {@link Float32BackwardTest} (3e-5 of the tensor's largest |gradient|).
 */
class KlHeadTest {

    record Run(double[] losses, GradientCollector grads, double[] dFinalNorm, float[] dClassifier, Matrix inputGradient) {}

    static NllHead.ClassifierRows classifierOf(LlamaWeights w) { return NllHead.ClassifierRows.of(w.classifier()); }

    /** KL(teacher ‖ student) of a batch through the float32 path: per-sequence gradient groups. */
    static Run float32(LlamaWeights student, LlamaWeights teacher, int[][] seqs, long chunkBytes, ThreadTeam team) {
        LlamaConfig c = student.config();
        BlockTape tape = new BlockTape(c);
        Matrix teacherHidden = StreamedBackward.forward(new WeightsBlockSource(teacher), seqs, tape, team);
        double[] dFinal = new double[c.dim()];
        float[] dCls = new float[c.vocabSize() * c.dim()];
        double[] ones = new double[seqs.length];
        Arrays.fill(ones, 1.0);
        KlHead.Teacher t = new KlHead.Teacher(teacherHidden, teacher.finalNorm(), classifierOf(teacher));
        LossHead head = (hidden, s, dHidden, tm) -> KlHead.lossAndGradient(c, student.finalNorm(), classifierOf(student), hidden, t, s.length, ones,
                dHidden, dFinal, (first, g) -> System.arraycopy(g.data(), 0, dCls, first * c.dim(), g.size()), chunkBytes, tm);
        GradientCollector col = new GradientCollector();
        StreamedBackward.Result r = StreamedBackward.run(new WeightsBlockSource(student), seqs, Checkpoints.inMemory(c.nLayers()), 1,
                col::forBlock, tape, head, StreamedBackward.Listener.NONE, team);
        return new Run(r.losses(), col, dFinal, dCls, r.inputGradient());
    }

    static double compare(LlamaWeights student, LlamaWeights teacher, int[] tokens, Run run, int group) {
        LlamaConfig c = student.config();
        Distillation.Result ref = Distillation.of(ParamSet.of(student), ParamSet.of(teacher), tokens);
        assertThat(run.losses()[group]).as("KL").isCloseTo(ref.loss(), within(1e-5 * ref.loss())).isGreaterThan(1e-3);
        ParamSet p = ref.gradient();
        double worst = 0;
        for (int l = 0; l < c.nLayers(); l++) {
            for (LayerKind k : LayerKind.values()) {
                String name = "blk." + l + "." + k.shortName();
                worst = Math.max(worst, Float32BackwardTest.check(name, p.linear(l, k), run.grads().get(group, name)));
                if (c.hasBias(k)) worst = Math.max(worst, Float32BackwardTest.check(name + ".bias", p.bias(l, k), run.grads().get(group, name + ".bias")));
            }
            worst = Math.max(worst, Float32BackwardTest.check("blk." + l + ".attn_norm", p.attNorm[l], run.grads().get(group, "blk." + l + ".attn_norm")));
            worst = Math.max(worst, Float32BackwardTest.check("blk." + l + ".ffn_norm", p.ffnNorm[l], run.grads().get(group, "blk." + l + ".ffn_norm")));
        }
        return worst;
    }

    @Test
    void gradientsMatchTheDoubleReference() {
        LlamaConfig[] configs = {TestModels.sharedGqa(), TestModels.unsharedGqa(), Float32BackwardTest.wideGqa(false), Float32BackwardTest.wideGqa(true),
                TestModels.qwenLike(), TestModels.llama3Like()};
        for (LlamaConfig c : configs) {
            LlamaWeights teacher = TestModels.random(c, 21);
            LlamaWeights student = TestModels.prunedCopy(teacher, 0.5, 4);
            int[] tok = TestModels.tokens(c, c.dim() > 20 ? 37 : 11, 8);
            Run run = float32(student, teacher, new int[][]{tok}, NllHead.DEFAULT_CHUNK_BYTES, ThreadTeam.shared());
            double worst = compare(student, teacher, tok, run, 0);

            // the head's own gradients: final norm, classifier (+ the embedding scatter when shared)
            ParamSet ref = Distillation.of(ParamSet.of(student), ParamSet.of(teacher), tok).gradient();
            worst = Math.max(worst, Float32BackwardTest.check("output_norm", ref.finalNorm, toFloat(run.dFinalNorm())));
            float[] cls = run.dClassifier().clone();
            if (c.sharedClassifier()) scatter(run.inputGradient(), tok, c.dim(), cls);
            worst = Math.max(worst, Float32BackwardTest.check(c.sharedClassifier() ? "token_embd (tied)" : "output", ref.classifier, cls));
            System.out.printf("KL head float32 vs double, %s: worst %.2e of the tensor's scale%n", c, worst);
        }
    }

    @Test
    void batchesAndVocabularyChunksGiveEachSequencesGradient() {
        LlamaConfig c = Float32BackwardTest.wideGqa(false);
        LlamaWeights teacher = TestModels.random(c, 31);
        LlamaWeights student = TestModels.prunedCopy(teacher, 0.7, 5);
        int[][] seqs = {TestModels.tokens(c, 34, 1), TestModels.tokens(c, 34, 2), TestModels.tokens(c, 34, 3)};
        // 10 vocabulary rows per chunk: 8 chunks of 77 tokens, logits in row blocks
        Run run = float32(student, teacher, seqs, 10L * 4 * c.dim(), ThreadTeam.shared());
        for (int s = 0; s < seqs.length; s++) compare(student, teacher, seqs[s], run, s);
    }

    @Test
    void sameBitsForAnyThreadCount() {
        LlamaConfig c = Float32BackwardTest.wideGqa(true);
        LlamaWeights teacher = TestModels.random(c, 41);
        LlamaWeights student = TestModels.prunedCopy(teacher, 0.5, 6);
        int[][] seqs = {TestModels.tokens(c, 40, 4), TestModels.tokens(c, 40, 5)};
        Run base;
        try (ThreadTeam one = new ThreadTeam(1, "kl1")) {
            base = float32(student, teacher, seqs, NllHead.DEFAULT_CHUNK_BYTES, one);
        }
        try (ThreadTeam two = new ThreadTeam(2, "kl2")) {
            Run r = float32(student, teacher, seqs, NllHead.DEFAULT_CHUNK_BYTES, two);
            assertThat(r.losses()).containsExactly(base.losses());
            assertThat(r.dFinalNorm()).containsExactly(base.dFinalNorm());
            assertThat(r.dClassifier()).containsExactly(base.dClassifier());
            for (var e : base.grads().grads.entrySet()) assertThat(r.grads().grads.get(e.getKey())).as(e.getKey()).containsExactly(e.getValue());
        }
    }

    @Test
    void aStudentEqualToItsTeacherHasZeroLossAndGradient() {
        LlamaConfig c = Float32BackwardTest.wideGqa(false);
        LlamaWeights teacher = TestModels.random(c, 51);
        Run run = float32(teacher.copy(), teacher, new int[][]{TestModels.tokens(c, 33, 1)}, NllHead.DEFAULT_CHUNK_BYTES, ThreadTeam.shared());
        assertThat(Math.abs(run.losses()[0])).isLessThan(1e-6);
        for (float[] g : run.grads().grads.values()) for (float v : g) assertThat(Math.abs(v)).isLessThan(1e-6f);
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    private static void scatter(Matrix dx, int[] tok, int dim, float[] into) {
        for (int t = 0; t < tok.length; t++) for (int i = 0; i < dim; i++) into[tok[t] * dim + i] += dx.data()[t * dim + i];
    }
}
