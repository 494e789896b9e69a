package dev.mixprune.grad;

import dev.mixprune.model.LayerKind;
import dev.mixprune.tensor.Matrix;

/**
 * Receives the parameter gradients of one block from {@link TrainingBlock#backward}, per group of
 * sequences: with one group per sequence (Fisher traces, protocols.md F) each call holds that
 * sequence's own gradient; with one group for the whole batch (training, e.g. recovery) it is the
 * batch's gradient. The matrices and arrays are the backward's scratch, valid only during the call:
 * copy or reduce them there.
 *
 * <p>Calls for one group come in a fixed order (w2, w1, w3, [ffn norm], wo, wq, wk, wv, [attention
 * norm]; a linear's bias right after its weight); calls for DIFFERENT groups may come concurrently
 * from several threads.
 *
 * <p>Guarantee for training (tested): once {@link #linear} (or {@link #bias}) has been called for
 * the last group of a linear, the backward no longer reads that linear's weight (or bias), so a
 * sink may update it in place right there, without a copy of the gradient. The norm gains are
 * still read after their gradient is handed over: update them after the block's backward returns.
 */
public interface GradientSink {
    /** The block's two RMSNorm gains. */
    enum Norm { ATTENTION, FFN }

    /** dL/dW of one linear, [out][in] like the weight, summed over the group's tokens. */
    void linear(int group, LayerKind kind, Matrix gradient);

    /** Whether {@link #norm} is wanted (the gains' gradients cost an extra pass over the rows). */
    default boolean wantsNorms() { return false; }

    /** dL/dg of one RMSNorm gain for the group ([dim]); called only when {@link #wantsNorms()}. */
    default void norm(int group, Norm norm, float[] gradient) { }

    /** Whether {@link #bias} is wanted (for the linears that have a bias). */
    default boolean wantsBiases() { return false; }

    /** dL/db of one linear's bias for the group ([out]: the sum of dL/dy over the group's tokens); only when {@link #wantsBiases()}. */
    default void bias(int group, LayerKind kind, float[] gradient) { }
}
