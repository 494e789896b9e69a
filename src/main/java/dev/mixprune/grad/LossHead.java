package dev.mixprune.grad;

import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

/**
 * The loss on top of a model streamed by {@link StreamedBackward}: given the hidden state after the
 * last block (nSeq*T rows), the loss of every sequence and dL/d(hidden state), written into
 * {@code dHidden}. {@link NllHead} (next-token NLL: Fisher traces) and {@link KlHead} (distillation
 * from a teacher: recovery) are the two heads.
 */
@FunctionalInterface
public interface LossHead {
    double[] lossAndGradient(Matrix hidden, int[][] seqs, Matrix dHidden, ThreadTeam team);
}
