package dev.mixprune.recover;

import dev.mixprune.data.TokenStream;
import dev.mixprune.grad.Adam;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.TensorDType;
import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.backward.TestModels;
import dev.mixprune.tensor.ThreadTeam;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 17, acceptance 4 (second half): a recovery is deterministic for a seed (also across thread
 * counts), and an interrupted run resumed from its checkpoint ends with the same model, bit for bit,
 * in both modes; the zeros of the pruned student are kept exactly.
 */
class RecoveryResumeTest {
    @TempDir Path tmp;

    static final LlamaConfig C = TestModels.sharedGqa();
    static final LlamaWeights TEACHER = TestModels.random(C, 11);
    static final LlamaWeights STUDENT = TestModels.prunedCopy(TEACHER, 0.6, 12);

    static TokenStream text() {
        return TokenStream.ofIds(TestModels.tokens(C, 600, 13), 1);
    }

    static RecoverOptions options(RecoverOptions.Mode mode, int steps) {
        return new RecoverOptions(mode, steps, 3e-3, 2, 8, 7, RecoverOptions.Schedule.COSINE, 1, 0.1, false, 5, Adam.Hyper.DEFAULT);
    }

    /** Stops a run right after its first checkpoint, as a kill would. */
    static final class Interrupted extends RuntimeException {}

    @Test
    void globalResumeGivesTheSameModelAsAnUninterruptedRunAnyThreadCount() throws Exception {
        RecoverOptions o = options(RecoverOptions.Mode.GLOBAL, 6);
        LlamaWeights whole = STUDENT.copy();
        GlobalRecovery g = new GlobalRecovery(whole, new WeightsBlockSource(TEACHER), o, tmp, new ThreadTeam(1, "t1"));
        g.run(new TrainingWindows.Global(text(), o), GlobalRecovery.Checkpointing.NONE, GlobalRecovery.Listener.NONE);
        assertThat(g.losses()[5]).isLessThan(g.losses()[0]);

        Path cp = tmp.resolve("global.ckpt");
        LlamaWeights first = STUDENT.copy();
        GlobalRecovery a = new GlobalRecovery(first, new WeightsBlockSource(TEACHER), o, tmp, new ThreadTeam(2, "t2"));
        assertThatThrownBy(() -> a.run(new TrainingWindows.Global(text(), o), new GlobalRecovery.Checkpointing(cp, 3, "m"), new GlobalRecovery.Listener() {
            @Override public void stepDone(int step, int total, double loss, double lr) { }

            @Override public void checkpointSaved(int stepsDone, Path file) { throw new Interrupted(); }
        })).isInstanceOf(Interrupted.class);
        assertThat(a.stepsDone()).isEqualTo(3);

        LlamaWeights resumed = STUDENT.copy();
        GlobalRecovery b = new GlobalRecovery(resumed, new WeightsBlockSource(TEACHER), o, tmp, new ThreadTeam(2, "t2b"));
        b.resume(cp, "m");
        assertThat(b.stepsDone()).isEqualTo(3);
        b.run(new TrainingWindows.Global(text(), o), GlobalRecovery.Checkpointing.NONE, GlobalRecovery.Listener.NONE);
        assertThat(b.losses()).containsExactly(g.losses());
        assertSameValues(resumed, whole);
        assertSameZeros(whole, STUDENT);

        // a checkpoint of other settings or another model is refused, naming the file
        GlobalRecovery other = new GlobalRecovery(STUDENT.copy(), new WeightsBlockSource(TEACHER), options(RecoverOptions.Mode.GLOBAL, 7), tmp, ThreadTeam.shared());
        assertThatThrownBy(() -> other.resume(cp, "m")).hasMessageContaining(cp.toString()).hasMessageContaining("other settings");
        assertThatThrownBy(() -> b.resume(cp, "another")).hasMessageContaining("another model");
    }

    @Test
    void blockwiseResumeGivesTheSameFileAndKeepsTheZeros() throws Exception {
        RecoverOptions o = options(RecoverOptions.Mode.BLOCKWISE, 4);
        TrainingWindows.Pool pool = TrainingWindows.Pool.of(text(), o);
        Path whole = tmp.resolve("whole.bin");
        new BlockwiseRecovery(new WeightsBlockSource(STUDENT.copy()), new WeightsBlockSource(TEACHER), o, pool, new ThreadTeam(1, "b1"))
                .run(whole, ModelFormat.BIN, TensorDType.F32, BlockwiseRecovery.Checkpointing.NONE, BlockwiseRecovery.Listener.NONE);

        Path cp = tmp.resolve("bw.ckpt"), resumed = tmp.resolve("resumed.bin");
        BlockwiseRecovery.Listener stopAfterBlock0 = new BlockwiseRecovery.Listener() {
            @Override public void stepDone(int block, int step, double loss) { }

            @Override public void blockDone(int block, double firstLoss, double lastLoss, double seconds) { throw new Interrupted(); }
        };
        assertThatThrownBy(() -> new BlockwiseRecovery(new WeightsBlockSource(STUDENT.copy()), new WeightsBlockSource(TEACHER), o, pool, new ThreadTeam(2, "b2"))
                .run(resumed, ModelFormat.BIN, TensorDType.F32, new BlockwiseRecovery.Checkpointing(cp, "m", false), stopAfterBlock0))
                .isInstanceOf(Interrupted.class);
        assertThat(Files.exists(resumed)).as("no half-written output").isFalse();
        int[] skipped = {0};
        BlockwiseRecovery.Result r = new BlockwiseRecovery(new WeightsBlockSource(STUDENT.copy()), new WeightsBlockSource(TEACHER), o, pool, new ThreadTeam(2, "b3"))
                .run(resumed, ModelFormat.BIN, TensorDType.F32, new BlockwiseRecovery.Checkpointing(cp, "m", true), new BlockwiseRecovery.Listener() {
                    @Override public void stepDone(int block, int step, double loss) { }

                    @Override public void skipped(int block) { skipped[0]++; }
                });
        assertThat(skipped[0]).isEqualTo(1);
        assertThat(r.losses()).hasNumberOfRows(C.nLayers());
        assertThat(Files.readAllBytes(resumed)).isEqualTo(Files.readAllBytes(whole));
        LlamaWeights out = ModelLoader.loadWeights(whole);
        assertSameZeros(out, STUDENT);
        assertThat(out.block(0).wq().data()).isNotEqualTo(STUDENT.block(0).wq().data());
        BlockwiseRecovery.deleteCheckpoint(cp);
        assertThat(Files.exists(cp)).isFalse();
    }

    static void assertSameValues(LlamaWeights a, LlamaWeights b) {
        for (int l = 0; l < a.config().nLayers(); l++) {
            Trainables ta = Trainables.ofBlock(a.config(), l, a.block(l)), tb = Trainables.ofBlock(b.config(), l, b.block(l));
            List<Trainables.Tensor> xa = ta.tensors(), xb = tb.tensors();
            for (int i = 0; i < xa.size(); i++) assertThat(xa.get(i).values()).as(xa.get(i).name()).isEqualTo(xb.get(i).values());
        }
        assertThat(a.finalNorm()).isEqualTo(b.finalNorm());
    }

    static void assertSameZeros(LlamaWeights recovered, LlamaWeights pruned) {
        for (int l = 0; l < pruned.config().nLayers(); l++) {
            for (var k : dev.mixprune.model.LayerKind.values()) {
                float[] r = recovered.block(l).linear(k).data(), p = pruned.block(l).linear(k).data();
                for (int i = 0; i < p.length; i++) {
                    if ((r[i] == 0f) != (p[i] == 0f)) throw new AssertionError("block " + l + " " + k + " entry " + i + ": " + p[i] + " -> " + r[i]);
                }
            }
        }
    }
}
