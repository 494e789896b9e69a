package dev.mixprune.recover;

import dev.mixprune.grad.GradientSink;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

/**
 * One optimizer step for one block, applied while the block's backward runs: each linear (and
 * bias) is updated by Adam as soon as its gradient is handed over ({@link GradientSink}'s guarantee:
 * the backward no longer reads it), so no gradient of the block is kept; the two norm gains, which
 * the backward still reads after handing their gradients over, are updated by {@link #applyNorms()}
 * once the block's backward has returned. Used with one group (the whole batch).
 */
final class AdamSink implements GradientSink {
    private final Trainables trainables;
    private final int block;
    private final BlockWeights w;
    private final RecoverOptions o;
    private final double lr;
    private final long t;
    private final ThreadTeam team;
    private final boolean biases;
    private float[] attNormGrad, ffnNormGrad;

    /** Step {@code t} (1-based) at learning rate {@code lr} of block {@code block}, whose live weights are {@code w}. */
    AdamSink(Trainables trainables, int block, BlockWeights w, RecoverOptions o, double lr, long t, ThreadTeam team) {
        this.trainables = trainables;
        this.block = block;
        this.w = w;
        this.o = o;
        this.lr = lr;
        this.t = t;
        this.team = team;
        this.biases = !w.biases().isEmpty();
    }

    @Override public void linear(int group, LayerKind kind, Matrix gradient) {
        if (group != 0) throw new IllegalStateException("a training step has one group of sequences, got group " + group);
        trainables.linear(block, kind).adam().step(w.linear(kind).data(), gradient.data(), lr, t, o.hyper(), team);
    }

    @Override public boolean wantsNorms() { return true; }

    @Override public void norm(int group, Norm norm, float[] gradient) {
        if (norm == Norm.ATTENTION) attNormGrad = gradient.clone();
        else ffnNormGrad = gradient.clone();
    }

    @Override public boolean wantsBiases() { return biases; }

    @Override public void bias(int group, LayerKind kind, float[] gradient) {
        trainables.get(Trainables.linearName(block, kind) + ".bias").adam().step(w.bias(kind), gradient, lr, t, o.hyper(), team);
    }

    /** Updates the norm gains from the gradients the backward handed over (call after the block's backward). */
    void applyNorms() {
        if (attNormGrad == null || ffnNormGrad == null) throw new IllegalStateException("block " + block + ": the backward gave no norm gradients");
        trainables.get(Trainables.normName(block, false)).adam().step(w.ffnNorm(), ffnNormGrad, lr, t, o.hyper(), team);
        trainables.get(Trainables.normName(block, true)).adam().step(w.attNorm(), attNormGrad, lr, t, o.hyper(), team);
    }
}
