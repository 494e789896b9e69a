package dev.mixprune.recover;

import dev.mixprune.grad.Adam;
import dev.mixprune.grad.BlockTape;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.TensorDType;
import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.backward.TestModels;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Blockwise recovery's micro-batches ({@code --micro-batch}): a step split into passes whose gradients are summed
 * ({@link GradientAccumulator}) computes the whole batch's loss and gradient, equal up to float rounding to one pass
 * over the batch; a whole recovery in passes ends where the single-pass one does (up to that rounding), keeps the
 * zeros, and is deterministic across thread counts; a micro-batch equal to the batch is the single pass, bit for bit.
 */
class BlockwiseMicroBatchTest {
    @TempDir Path tmp;

    static final int WINDOWS = 4, T = 7;

    static Stream<LlamaConfig> configs() {
        return Stream.of(TestModels.sharedGqa(), TestModels.qwenLike());
    }

    @ParameterizedTest
    @MethodSource("configs")
    void passesSumToTheWholeBatchsLossAndGradient(LlamaConfig base) {
        LlamaConfig c = BlockwiseGradientTest.oneBlock(base);
        LlamaWeights teacher = TestModels.random(c, 41);
        int rows = WINDOWS * T, D = c.dim();
        // WINDOWS x T inputs: random activations of the residual stream's scale
        Matrix x = new Matrix(rows, D);
        java.util.Random rnd = new java.util.Random(43);
        for (int i = 0; i < x.size(); i++) x.data()[i] = (float) rnd.nextGaussian();
        ThreadTeam team = new ThreadTeam(2, "mb");
        BlockTape tape = new BlockTape(c);
        Matrix y = new Matrix(rows, D);
        dev.mixprune.grad.TrainingBlock.forward(c, teacher.block(0), x, WINDOWS, T, tape, y, team);

        double[] losses = new double[3];
        GradientAccumulator[] sums = new GradientAccumulator[3];
        int[] passWindows = {WINDOWS, 2, 1};
        for (int v = 0; v < 3; v++) {
            LlamaWeights student = TestModels.prunedCopy(teacher, 0.5, 42);
            Trainables tr = Trainables.ofBlock(c, 0, student.block(0));
            sums[v] = new GradientAccumulator(tr, 0, !c.biases().isEmpty(), team);
            int mb = passWindows[v], len = mb * T * D;
            Matrix ob = new Matrix(mb * T, D), dOut = new Matrix(mb * T, D);
            double squares = 0;
            for (int p0 = 0; p0 < WINDOWS; p0 += mb) {
                Matrix xb = new Matrix(mb * T, D, Arrays.copyOfRange(x.data(), p0 * T * D, p0 * T * D + len));
                Matrix yb = new Matrix(mb * T, D, Arrays.copyOfRange(y.data(), p0 * T * D, p0 * T * D + len));
                squares += BlockwiseRecovery.passLossAndGradient(c, student.block(0), xb, yb, mb, T, (long) rows * D, tape, ob, dOut, sums[v], team);
            }
            losses[v] = squares / ((long) rows * D);
            if (v == 0) {
                // one pass is exactly lossAndGradient (what training without micro-batches runs)
                LlamaWeights same = TestModels.prunedCopy(teacher, 0.5, 42);
                GradientAccumulator direct = new GradientAccumulator(Trainables.ofBlock(c, 0, same.block(0)), 0, !c.biases().isEmpty(), team);
                double loss = BlockwiseRecovery.lossAndGradient(c, same.block(0), x, y, WINDOWS, T, tape, new Matrix(rows, D), new Matrix(rows, D), direct, team);
                assertThat(losses[0]).isEqualTo(loss);
                for (Trainables.Tensor t : tr.tensors()) assertThat(sums[0].sum(t.name())).as(t.name()).containsExactly(direct.sum(t.name()));
            }
        }
        assertThat(losses[0]).isGreaterThan(1e-3);
        int tensors = 0;
        for (Trainables.Tensor t : Trainables.ofBlock(c, 0, TestModels.prunedCopy(teacher, 0.5, 42).block(0)).tensors()) {
            float[] whole = sums[0].sum(t.name());
            double scale = 0;
            for (float g : whole) scale = Math.max(scale, Math.abs(g));
            assertThat(scale).as(t.name()).isGreaterThan(0);
            for (int v = 1; v < 3; v++) {
                assertThat(losses[v]).isCloseTo(losses[0], within(1e-6 * losses[0]));
                float[] split = sums[v].sum(t.name());
                for (int i = 0; i < whole.length; i++) {
                    assertThat((double) split[i]).as(t.name() + "[" + i + "], passes of " + passWindows[v]).isCloseTo(whole[i], within(1e-5 * scale));
                }
            }
            tensors++;
        }
        assertThat(tensors).isGreaterThanOrEqualTo(9);
    }

    static RecoverOptions options(int micro) {
        return new RecoverOptions(RecoverOptions.Mode.BLOCKWISE, 4, 3e-3, WINDOWS, 8, 7, RecoverOptions.Schedule.COSINE, 1, 0.1, false, 6,
                Adam.Hyper.DEFAULT, micro);
    }

    private Path recover(RecoverOptions o, int threads, String name) throws Exception {
        Path out = tmp.resolve(name);
        new BlockwiseRecovery(new WeightsBlockSource(RecoveryResumeTest.STUDENT.copy()), new WeightsBlockSource(RecoveryResumeTest.TEACHER), o,
                TrainingWindows.Pool.of(RecoveryResumeTest.text(), o), new ThreadTeam(threads, name))
                .run(out, ModelFormat.BIN, TensorDType.F32, BlockwiseRecovery.Checkpointing.NONE, BlockwiseRecovery.Listener.NONE);
        return out;
    }

    @Test
    void aRecoveryInPassesEndsWhereTheSinglePassOneDoes() throws Exception {
        Path whole = recover(options(0), 2, "whole.bin");
        assertThat(Files.readAllBytes(recover(options(WINDOWS), 2, "same.bin"))).as("micro-batch = batch is the single pass").isEqualTo(Files.readAllBytes(whole));
        assertThat(options(WINDOWS).fingerprint()).isEqualTo(options(0).fingerprint());
        assertThat(options(1).fingerprint()).isNotEqualTo(options(0).fingerprint()).contains("micro=1");

        Path ones = recover(options(1), 1, "ones.bin");
        assertThat(Files.readAllBytes(recover(options(1), 2, "ones2.bin"))).as("deterministic across thread counts").isEqualTo(Files.readAllBytes(ones));
        LlamaWeights a = ModelLoader.loadWeights(whole), b = ModelLoader.loadWeights(ones), before = RecoveryResumeTest.STUDENT;
        RecoveryResumeTest.assertSameZeros(b, before);
        double worst = 0, moved = 0;
        for (int l = 0; l < before.config().nLayers(); l++) {
            List<Trainables.Tensor> ta = Trainables.ofBlock(a.config(), l, a.block(l)).tensors(), tb = Trainables.ofBlock(b.config(), l, b.block(l)).tensors(),
                    t0 = Trainables.ofBlock(before.config(), l, before.block(l)).tensors();
            for (int i = 0; i < ta.size(); i++) {
                float[] va = ta.get(i).values(), vb = tb.get(i).values(), v0 = t0.get(i).values();
                for (int j = 0; j < va.length; j++) {
                    worst = Math.max(worst, Math.abs(va[j] - vb[j]));
                    moved = Math.max(moved, Math.abs(va[j] - v0[j]));
                }
            }
        }
        // Adam moves an entry by about lr per step (4 steps at 3e-3, measured 8.0e-3 at most): the two runs differ by rounding
        assertThat(moved).isGreaterThan(3e-3);
        assertThat(worst).as("largest difference between the recovered weights").isLessThan(1e-6);  // measured 6.0e-8
        System.out.printf("micro-batch 1 vs whole batch: largest weight difference %.3g (largest move %.3g)%n", worst, moved);
    }

    @Test
    void microBatchesMustDivideTheBatchAndAreForBlockwiseMode() {
        assertThatThrownBy(() -> options(3)).hasMessageContaining("divide");
        assertThatThrownBy(() -> new RecoverOptions(RecoverOptions.Mode.GLOBAL, 4, 3e-3, WINDOWS, 8, 7, RecoverOptions.Schedule.COSINE, 1, 0.1, false, 6,
                Adam.Hyper.DEFAULT, 2)).hasMessageContaining("blockwise");
        LlamaConfig big = new LlamaConfig(TestModels.sharedGqa().family(), 4096, 11008, 2, 32, 32, 128, 32000, 2048, 1e-5f, 10000f, dev.mixprune.model.RopeScaling.NONE, java.util.Set.of(), false);
        assertThat(BlockwiseRecovery.defaultMicroBatch(big, 8, 256)).isEqualTo(2);
        assertThat(BlockwiseRecovery.defaultMicroBatch(TestModels.sharedGqa(), 8, 256)).isEqualTo(8);
    }
}
