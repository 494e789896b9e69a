package dev.mixprune.recover;

import dev.mixprune.grad.BlockTape;
import dev.mixprune.grad.GradientSink;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.backward.ParamSet;
import dev.mixprune.model.backward.ReferenceBlock;
import dev.mixprune.model.backward.Tape;
import dev.mixprune.model.backward.TestModels;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Issue 17, acceptance 4 for blockwise mode: the gradient of blockwise recovery's loss,
 * mean((block(x) − y)²) over a batch of windows, as training computes it
 * ({@link BlockwiseRecovery#lossAndGradient}: float32 forward, MSE head, float32 backward, one group),
 * against central finite differences of the same loss evaluated in double precision (the reference
 * forward, {@link ReferenceBlock}), for EVERY coordinate of the block: seven linears (kept and pruned
 * entries alike), both norm gains, and the biases of a Qwen2-like block.
 *
 * <p>Tolerance: as in {@code grad.Float32BackwardTest}, every element within {@link #TOL} of its
 * tensor's largest |gradient|: the float32 gradient differs from the exact one by rounding (measured
 * 4.3e-7 of the scale at most here), the double central difference (step 1e-5) by ~1e-9. A wrong term
 * in the MSE head or in the backward shows far above TOL (the MSE's factor 2 replaced by 1.9 fails at
 * 5e-2).
 */
class BlockwiseGradientTest {
    static final double TOL = 3e-5, STEP = 1e-5;
    static final int WINDOWS = 2, T = 7;

    static Stream<LlamaConfig> configs() {
        return Stream.of(TestModels.sharedGqa(), TestModels.qwenLike());
    }

    /** {@code c} with one block and WINDOWS x T vocabulary rows: the embedding holds the block's inputs. */
    static LlamaConfig oneBlock(LlamaConfig c) {
        return new LlamaConfig(c.family(), c.dim(), c.hiddenDim(), 1, c.nHeads(), c.nKvHeads(), c.headDim(), WINDOWS * T, T, c.normEps(),
                c.ropeTheta(), c.ropeScaling(), c.biases(), true);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void mseGradientMatchesFiniteDifferencesInDouble(LlamaConfig base) {
        LlamaConfig c = oneBlock(base);
        LlamaWeights teacher = TestModels.random(c, 31), student = TestModels.prunedCopy(teacher, 0.5, 32);
        ThreadTeam team = new ThreadTeam(2, "bw-grad");
        BlockTape tape = new BlockTape(c);
        int rows = WINDOWS * T, D = c.dim();
        Matrix x = student.tokenEmbedding(), y = new Matrix(rows, D), out = new Matrix(rows, D), dOut = new Matrix(rows, D);
        // targets: the dense (teacher) block's output on the same inputs, as blockwise recovery uses
        dev.mixprune.grad.TrainingBlock.forward(c, teacher.block(0), x, WINDOWS, T, tape, y, team);

        Map<String, float[]> grads = new HashMap<>();
        double loss = BlockwiseRecovery.lossAndGradient(c, student.block(0), x, y, WINDOWS, T, tape, out, dOut, collector(grads), team);
        assertThat(loss).isGreaterThan(1e-3);

        ParamSet p = ParamSet.of(student);
        Tape ref = new Tape(c, T);
        double[] target = new double[rows * D];
        for (int i = 0; i < target.length; i++) target[i] = y.data()[i];
        assertThat(loss).as("float32 loss vs double").isCloseTo(mse(p, ref, target), within(1e-5 * loss));

        double worst = 0;
        int checked = 0;
        for (ParamSet.Tensor t : p.tensors()) {
            if (!t.name().startsWith("blk.0.")) continue;
            float[] g = grads.get(t.name());
            assertThat(g).as("gradient of " + t.name()).isNotNull().hasSize(t.data().length);
            double[] fd = new double[g.length];
            double scale = 0;
            for (int i = 0; i < fd.length; i++) {
                double v = t.data()[i];
                t.data()[i] = v + STEP;
                double plus = mse(p, ref, target);
                t.data()[i] = v - STEP;
                double minus = mse(p, ref, target);
                t.data()[i] = v;
                fd[i] = (plus - minus) / (2 * STEP);
                scale = Math.max(scale, Math.abs(fd[i]));
            }
            assertThat(scale).as(t.name() + " has a non-zero gradient").isGreaterThan(1e-6);
            for (int i = 0; i < fd.length; i++) {
                double err = Math.abs(g[i] - fd[i]) / scale;
                worst = Math.max(worst, err);
                assertThat(err).as(t.name() + "[" + i + "]: float32 " + g[i] + " vs finite difference " + fd[i]).isLessThanOrEqualTo(TOL);
                checked++;
            }
        }
        int expectedTensors = 2 + LayerKind.values().length + c.biases().size();
        assertThat(grads).hasSize(expectedTensors);
        assertThat(checked).isGreaterThan(1000);
        System.out.printf("BlockwiseGradientTest %s: %d coordinates, worst |float32 - fd| / scale = %.2e%n", base.family(), checked, worst);
    }

    /** The MSE of the one-block model p's output to the target, over the WINDOWS windows, in double. */
    static double mse(ParamSet p, Tape tape, double[] target) {
        int D = p.config().dim();
        double sum = 0;
        for (int w = 0; w < WINDOWS; w++) {
            int[] rows = new int[T];
            for (int t = 0; t < T; t++) rows[t] = w * T + t;
            double[] o = ReferenceBlock.output(p, rows, tape);
            for (int i = 0; i < o.length; i++) {
                double d = o[i] - target[w * T * D + i];
                sum += d * d;
            }
        }
        return sum / ((double) WINDOWS * T * D);
    }

    /** Keeps a copy of every gradient of block 0, named like {@link ParamSet#tensors()}. */
    static GradientSink collector(Map<String, float[]> grads) {
        return new GradientSink() {
            @Override public void linear(int group, LayerKind kind, Matrix gradient) {
                assertThat(group).as("one group: the whole batch").isZero();
                grads.put("blk.0." + kind.shortName(), gradient.data().clone());
            }

            @Override public boolean wantsNorms() { return true; }

            @Override public void norm(int group, Norm norm, float[] gradient) {
                grads.put(norm == Norm.ATTENTION ? "blk.0.attn_norm" : "blk.0.ffn_norm", gradient.clone());
            }

            @Override public boolean wantsBiases() { return true; }

            @Override public void bias(int group, LayerKind kind, float[] gradient) {
                grads.put("blk.0." + kind.shortName() + ".bias", gradient.clone());
            }
        };
    }
}
