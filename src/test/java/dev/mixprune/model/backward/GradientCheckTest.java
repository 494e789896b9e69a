package dev.mixprune.model.backward;

import dev.mixprune.model.LlamaConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Every coordinate of every parameter tensor of tiny random models (odd sizes, GQA, shared and
 * unshared classifier; the family features: q/k/v and all-linear biases, tied embeddings, explicit
 * head_dim, llama3 and linear RoPE scaling, rope_theta 1e6) against central finite differences of
 * the independent reference forward.
 */
class GradientCheckTest {
    /**
     * Step of the fourth-order central difference (f(-2h) - 8f(-h) + 8f(h) - f(2h)) / 12h. Its
     * truncation error is O(h^4) ~ 1e-16 and its round-off was measured at ~1e-11 absolute, so a
     * relative error of 1e-6 is resolvable from |g| ~ 1e-5 and has a 5x margin from 1e-4. (The plain
     * two-point difference with h = 1e-5 has round-off ~1e-10: measured worst 1.04e-6 at |g| 1.1e-4.)
     */
    static final double H = 1e-4;
    /** Relative error allowed where the gradient is not negligible. */
    static final double REL_TOL = 1e-6;
    /** Below this magnitude the absolute error is checked instead (finite differences cannot resolve it). */
    static final double NEGLIGIBLE = 1e-4;
    static final double ABS_TOL = 1e-10;

    @ParameterizedTest
    @ValueSource(strings = {"sharedGqa", "unsharedGqa", "multiHead", "qwenLike", "llama3Like", "allBiasesLinearRope"})
    void everyCoordinateMatchesCentralDifferences(String model) {
        LlamaConfig c = switch (model) {
            case "sharedGqa" -> TestModels.sharedGqa();
            case "unsharedGqa" -> TestModels.unsharedGqa();
            case "qwenLike" -> TestModels.qwenLike();
            case "llama3Like" -> TestModels.llama3Like();
            case "allBiasesLinearRope" -> TestModels.allBiasesLinearRope();
            default -> TestModels.multiHead();
        };
        boolean shared = c.sharedClassifier();
        ParamSet p = ParamSet.of(TestModels.random(c, model.hashCode()));
        int[] tokens = TestModels.tokens(c, 11, 5);
        Gradients.Result r = Gradients.of(p, tokens);

        assertThat(r.loss()).isCloseTo(PositionwiseForward.loss(p, tokens), within(1e-12));

        // The family models (biases, head_dim, RoPE scaling): every coordinate of tensors up to 64 values (biases, norms), every third otherwise.
        boolean family = !c.biases().isEmpty() || c.headDim() * c.nHeads() != c.dim();
        FiniteDifferenceCheck check = family
                ? FiniteDifferenceCheck.run(p, r.gradient(), tokens, PositionwiseForward::loss, name -> true, g -> java.util.stream.IntStream.range(0, g.length)
                        .filter(i -> g.length <= 64 || i % 3 == 0).toArray())
                : FiniteDifferenceCheck.run(p, r.gradient(), tokens, PositionwiseForward::loss, name -> true, FiniteDifferenceCheck::all);
        System.out.printf("gradient check (%s, %s classifier): %d coordinates relative, %d absolute; worst relative error %.3e%n",
                model, shared ? "shared" : "unshared", check.checkedRel, check.checkedAbs, check.worstRel);
        assertThat(check.failures).as("coordinates whose gradient disagrees with finite differences").isEmpty();
        assertThat(check.checkedRel).as("most coordinates must have a non-negligible gradient").isGreaterThan(check.checkedAbs);
    }

    interface LossFunction { double loss(ParamSet p, int[] tokens); }

    static double centralDifference(ParamSet p, int[] tokens, double[] data, int i) {
        return centralDifference(p, tokens, data, i, PositionwiseForward::loss);
    }

    static double centralDifference(ParamSet p, int[] tokens, double[] data, int i, LossFunction f) {
        double saved = data[i];
        double[] v = new double[4];
        double[] steps = {-2 * H, -H, H, 2 * H};
        for (int s = 0; s < 4; s++) {
            data[i] = saved + steps[s];
            v[s] = f.loss(p, tokens);
        }
        data[i] = saved;
        return (v[0] - 8 * v[1] + 8 * v[2] - v[3]) / (12 * H);
    }
}
