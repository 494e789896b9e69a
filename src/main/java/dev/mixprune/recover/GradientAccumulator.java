package dev.mixprune.recover;

import dev.mixprune.grad.Adam;
import dev.mixprune.grad.GradientSink;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gradient accumulation for blockwise recovery's micro-batches: receives one block's gradients pass after pass (a
 * {@link GradientSink} of one group per pass) and adds them up compactly, the kept entries of each linear only (in its
 * Adam moments' order) and every entry of its norms and biases; then {@link #step} applies one Adam step from the sums.
 * The weights are not touched before {@link #step}, so every pass of a step sees the same block. Costs 4 bytes per
 * trained value of the block (half of its Adam moments), in exchange for activations of one pass instead of the batch.
 */
final class GradientAccumulator implements GradientSink {
    private final Trainables trainables;
    private final int block;
    private final boolean biases;
    private final ThreadTeam team;
    private final Map<Trainables.Tensor, float[]> sums = new IdentityHashMap<>();

    GradientAccumulator(Trainables trainables, int block, boolean biases, ThreadTeam team) {
        this.trainables = trainables;
        this.block = block;
        this.biases = biases;
        this.team = team;
        for (Trainables.Tensor t : trainables.tensors()) sums.put(t, new float[t.adam().compactSize()]);
    }

    /** Bytes of the sums for a block of {@code keptLinearEntries} kept linear entries and {@code denseValues} norm and bias values. */
    static long bytesFor(long keptLinearEntries, long denseValues) { return 4L * (keptLinearEntries + denseValues); }

    /** Bytes of the sums for a block of {@code c} with at most {@code maxKept} kept linear entries. */
    static long bytesFor(LlamaConfig c, long maxKept) {
        return bytesFor(Math.min(maxKept, c.prunablePerBlock()), c.biasesPerBlock() + 2L * c.dim());
    }

    /** Starts a new step: every sum back to zero. */
    void clear() {
        for (float[] s : sums.values()) Arrays.fill(s, 0f);
    }

    private void add(Trainables.Tensor t, float[] gradient) {
        t.adam().accumulate(gradient, sums.get(t), team);
    }

    @Override public void linear(int group, LayerKind kind, Matrix gradient) {
        if (group != 0) throw new IllegalStateException("a pass has one group of sequences, got group " + group);
        add(trainables.linear(block, kind), gradient.data());
    }

    @Override public boolean wantsNorms() { return true; }

    @Override public void norm(int group, Norm norm, float[] gradient) {
        add(trainables.get(Trainables.normName(block, norm == Norm.ATTENTION)), gradient);
    }

    @Override public boolean wantsBiases() { return biases; }

    @Override public void bias(int group, LayerKind kind, float[] gradient) {
        add(trainables.get(Trainables.linearName(block, kind) + ".bias"), gradient);
    }

    /** The summed gradient of a tensor, compact (kept entries only for a linear), for tests. */
    float[] sum(String name) { return sums.get(trainables.get(name)); }

    /** One Adam step (number {@code t}, 1-based, at learning rate {@code lr}) of every tensor of the block from the sums. */
    void step(double lr, long t, Adam.Hyper hyper) {
        List<Trainables.Tensor> all = trainables.tensors();
        for (Trainables.Tensor tensor : all) tensor.adam().stepCompact(tensor.values(), sums.get(tensor), lr, t, hyper, team);
    }
}
