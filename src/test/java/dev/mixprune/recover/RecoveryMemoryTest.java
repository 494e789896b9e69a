package dev.mixprune.recover;

import dev.mixprune.grad.NllHead;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.backward.TestModels;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link GlobalRecovery#memoryBound}, what {@code run --recover} adds to its resource plan, is an upper bound of
 * what a global recovery holds: the student in float32, its actual training state (masks, Adam moments of the kept
 * entries: {@link GlobalRecovery#stateBytes}) and one step's activations, at any sparsity (also a dense student).
 */
class RecoveryMemoryTest {
    @Test
    void boundCoversTheStudentItsTrainingStateAndOneStep() {
        for (LlamaConfig c : new LlamaConfig[]{TestModels.sharedGqa(), TestModels.unsharedGqa(), TestModels.qwenLike()}) {
            LlamaWeights dense = TestModels.random(c, 5);
            for (boolean embeddings : new boolean[]{false, true}) {
                RecoverOptions o = new RecoverOptions(RecoverOptions.Mode.GLOBAL, 10, 1e-3, 3, 9, 0, RecoverOptions.Schedule.COSINE, 0, 0.1,
                        embeddings, 4, dev.mixprune.grad.Adam.Hyper.DEFAULT);
                for (double fraction : new double[]{0.0, 0.5, 0.9}) {
                    LlamaWeights student = TestModels.prunedCopy(dense, fraction, 6);
                    long held = 4L * c.parameterCount() + GlobalRecovery.stateBytes(Trainables.ofModel(student, embeddings))
                            + GlobalRecovery.stepBytes(c, o.batch() * o.seqLen(), NllHead.DEFAULT_CHUNK_BYTES);
                    assertThat(GlobalRecovery.memoryBound(c, o)).as(c.family() + " embeddings " + embeddings + " sparsity " + fraction)
                            .isGreaterThanOrEqualTo(held);
                }
            }
        }
    }
}
