package dev.mixprune.model.backward;

import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The double-precision distillation loss (the reference of recovery's float32 KL head): the loss
 * equals KL(teacher ‖ student) computed from the independent position-by-position forward, and
 * every coordinate of its gradient (every student parameter, pruned entries included) matches
 * fourth-order central differences of that forward, with {@link GradientCheckTest}'s tolerances.
 */
class DistillationTest {

    /** KL(teacher ‖ student) of positions 0..T-2 from the naive forward: the function differenced. */
    static double naiveKl(ParamSet student, double[][] teacherLogProbs, int[] tokens) {
        double[][] s = PositionwiseForward.logProbs(student, tokens, null);
        double kl = 0;
        for (int t = 0; t < s.length; t++) {
            for (int v = 0; v < s[t].length; v++) {
                double lt = teacherLogProbs[t][v];
                kl += Math.exp(lt) * (lt - s[t][v]);
            }
        }
        return kl / s.length;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sharedGqa", "unsharedGqa", "qwenLike", "llama3Like"})
    void everyCoordinateMatchesCentralDifferences(String model) {
        LlamaConfig c = switch (model) {
            case "sharedGqa" -> TestModels.sharedGqa();
            case "unsharedGqa" -> TestModels.unsharedGqa();
            case "qwenLike" -> TestModels.qwenLike();
            default -> TestModels.llama3Like();
        };
        LlamaWeights dense = TestModels.random(c, model.hashCode());
        ParamSet teacher = ParamSet.of(dense);
        ParamSet student = ParamSet.of(TestModels.prunedCopy(dense, 0.6, 3));
        int[] tokens = TestModels.tokens(c, 11, 5);
        double[][] teacherLogProbs = PositionwiseForward.logProbs(teacher, tokens, null);

        Distillation.Result r = Distillation.of(student, teacher, tokens);
        assertThat(r.loss()).isCloseTo(naiveKl(student, teacherLogProbs, tokens), within(1e-12)).isGreaterThan(1e-3);
        assertThat(Distillation.of(teacher, teacher, tokens).loss()).isCloseTo(0, within(1e-12));

        FiniteDifferenceCheck check = FiniteDifferenceCheck.run(student, r.gradient(), tokens, (p, t) -> naiveKl(p, teacherLogProbs, t),
                name -> true, g -> java.util.stream.IntStream.range(0, g.length).filter(i -> g.length <= 64 || i % 2 == 0).toArray());
        System.out.printf("distillation gradient check (%s): %d coordinates relative, %d absolute; worst relative error %.3e%n",
                model, check.checkedRel, check.checkedAbs, check.worstRel);
        assertThat(check.failures).as("coordinates whose gradient disagrees with finite differences").isEmpty();
        assertThat(check.checkedRel).isGreaterThan(check.checkedAbs);
    }
}
