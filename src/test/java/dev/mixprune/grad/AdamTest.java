package dev.mixprune.grad;

import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.backward.TestModels;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Adam against the textbook formula, masked updates, thread independence, and the sink guarantee training relies on. */
class AdamTest {

    /** torch.optim.Adam's update for one entry over several steps, in double. */
    static double[] reference(double w, double[] grads, double lr, Adam.Hyper h) {
        double m = 0, v = 0;
        double[] out = new double[grads.length];
        for (int t = 1; t <= grads.length; t++) {
            double g = grads[t - 1];
            m = h.beta1() * m + (1 - h.beta1()) * g;
            v = h.beta2() * v + (1 - h.beta2()) * g * g;
            double mh = m / (1 - Math.pow(h.beta1(), t)), vh = v / (1 - Math.pow(h.beta2(), t));
            w -= lr * mh / (Math.sqrt(vh) + h.eps());
            out[t - 1] = w;
        }
        return out;
    }

    @Test
    void matchesTheTextbookUpdate() {
        Random rnd = new Random(1);
        int n = 1000, steps = 7;
        float[] w = new float[n];
        double[][] g = new double[n][steps];
        for (int i = 0; i < n; i++) {
            w[i] = (float) rnd.nextGaussian();
            for (int t = 0; t < steps; t++) g[i][t] = rnd.nextGaussian() * Math.pow(10, rnd.nextInt(5) - 4);
        }
        float[] w0 = w.clone();
        Adam a = Adam.dense(n);
        for (int t = 0; t < steps; t++) {
            float[] gt = new float[n];
            for (int i = 0; i < n; i++) gt[i] = (float) g[i][t];
            a.step(w, gt, 1e-3, t + 1, Adam.Hyper.DEFAULT, ThreadTeam.shared());
        }
        for (int i = 0; i < n; i++) {
            float[] gf = new float[steps];
            double[] gd = new double[steps];
            for (int t = 0; t < steps; t++) gd[t] = gf[t] = (float) g[i][t];
            double ref = reference(w0[i], gd, 1e-3, Adam.Hyper.DEFAULT)[steps - 1];
            // float32 arithmetic on moments and weight: a few ulps of the weight, plus the step's own relative rounding
            assertThat((double) w[i]).as("entry " + i).isCloseTo(ref, within(1e-6 * Math.abs(ref) + 1e-8));
        }
    }

    @Test
    void aMaskedTensorKeepsItsZerosAndStoresMomentsForKeptEntriesOnly() {
        Random rnd = new Random(2);
        Matrix w = new Matrix(37, 53);
        for (int i = 0; i < w.size(); i++) w.data()[i] = rnd.nextDouble() < 0.75 ? 0f : (float) rnd.nextGaussian();
        Matrix before = w.copy();
        Mask mask = Mask.ofNonZeros(w);
        assertThat(mask.kept() + mask.zeros()).isEqualTo(w.size());
        Adam a = Adam.masked(mask);
        assertThat(a.m()).hasSize(mask.kept());
        Adam dense = Adam.dense(w.size());
        float[] wd = w.data().clone();
        for (int t = 1; t <= 5; t++) {
            float[] g = new float[w.size()];
            for (int i = 0; i < g.length; i++) g[i] = (float) rnd.nextGaussian();
            a.step(w.data(), g, 1e-2, t, Adam.Hyper.DEFAULT, ThreadTeam.shared());
            dense.step(wd, g, 1e-2, t, Adam.Hyper.DEFAULT, ThreadTeam.shared());
        }
        assertThat(mask.matchesNonZerosOf(w)).isTrue();
        for (int i = 0; i < w.size(); i++) {
            if (before.data()[i] == 0f) assertThat(w.data()[i]).isEqualTo(0f);
            else assertThat(w.data()[i]).as("kept entries move exactly as without a mask").isEqualTo(wd[i]).isNotEqualTo(before.data()[i]);
        }
    }

    /**
     * Gradient accumulation: the compact sum of several full gradients (kept entries only) and a step from it give
     * the same bits as summing the full gradients in the same order and stepping from the full sum, masked and dense.
     */
    @Test
    void accumulatedCompactGradientStepsExactlyLikeTheFullSum() {
        Random rnd = new Random(4);
        Matrix w = new Matrix(41, 67);
        for (int i = 0; i < w.size(); i++) w.data()[i] = rnd.nextDouble() < 0.6 ? 0f : (float) rnd.nextGaussian();
        for (boolean masked : new boolean[]{true, false}) {
            Adam viaCompact = masked ? Adam.masked(Mask.ofNonZeros(w)) : Adam.dense(w.size());
            Adam viaFull = masked ? Adam.masked(Mask.ofNonZeros(w)) : Adam.dense(w.size());
            assertThat(viaCompact.compactSize()).isEqualTo(masked ? Mask.ofNonZeros(w).kept() : w.size());
            float[] a = w.data().clone(), b = w.data().clone();
            for (int t = 1; t <= 3; t++) {
                float[] acc = new float[viaCompact.compactSize()], sum = new float[w.size()];
                for (int part = 0; part < 3; part++) {
                    float[] g = new float[w.size()];
                    for (int i = 0; i < g.length; i++) g[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(4) - 2));
                    viaCompact.accumulate(g, acc, ThreadTeam.shared());
                    for (int i = 0; i < g.length; i++) sum[i] += g[i];
                }
                viaCompact.stepCompact(a, acc, 1e-2, t, Adam.Hyper.DEFAULT, ThreadTeam.shared());
                viaFull.step(b, sum, 1e-2, t, Adam.Hyper.DEFAULT, ThreadTeam.shared());
            }
            assertThat(a).as(masked ? "masked" : "dense").containsExactly(b);
            assertThat(a).isNotEqualTo(w.data());
            if (masked) assertThat(Mask.ofNonZeros(w).matchesNonZerosOf(new Matrix(w.rows(), w.cols(), a))).isTrue();
        }
    }

    @Test
    void aKeptEntryNeverBecomesAZero() {
        // w = 1e-3 with lr 1e-3 and a positive gradient: the first step lands exactly on 0.0
        Adam.Hyper h = new Adam.Hyper(0.9, 0.999, 1e-30);
        float[] unmasked = {1e-3f};
        Adam.dense(1).step(unmasked, new float[]{1f}, 1e-3, 1, h, ThreadTeam.shared());
        assertThat(unmasked[0]).as("the plain update lands on zero").isEqualTo(0f);
        Matrix w = new Matrix(1, 2, new float[]{1e-3f, 0f});
        Adam a = Adam.masked(Mask.ofNonZeros(w));
        a.step(w.data(), new float[]{1f, 1f}, 1e-3, 1, h, ThreadTeam.shared());
        assertThat(w.data()[0]).isEqualTo(Float.MIN_VALUE);
        assertThat(w.data()[1]).isEqualTo(0f);
    }

    @Test
    void sameBitsForAnyThreadCount() {
        Random rnd = new Random(3);
        Matrix w = new Matrix(300, 171);
        for (int i = 0; i < w.size(); i++) w.data()[i] = rnd.nextDouble() < 0.5 ? 0f : (float) rnd.nextGaussian();
        float[] g = new float[w.size()];
        for (int i = 0; i < g.length; i++) g[i] = (float) rnd.nextGaussian();
        float[][] results = new float[3][];
        for (int threads = 1; threads <= 3; threads++) {
            float[] copy = w.data().clone();
            Adam a = Adam.masked(Mask.ofNonZeros(w));
            try (ThreadTeam team = new ThreadTeam(threads, "adam" + threads)) {
                for (int t = 1; t <= 3; t++) a.step(copy, g, 1e-3, t, Adam.Hyper.DEFAULT, team);
            }
            results[threads - 1] = copy;
        }
        assertThat(results[1]).containsExactly(results[0]);
        assertThat(results[2]).containsExactly(results[0]);
    }

    /**
     * GradientSink's guarantee: a sink may overwrite a linear (and its bias) as soon as it receives
     * its gradient; the input gradient and every later gradient are unchanged.
     */
    @Test
    void theBackwardNoLongerReadsALinearOnceItsGradientIsHandedOver() {
        for (LlamaConfig c : new LlamaConfig[]{Float32BackwardTest.wideGqa(false), TestModels.qwenLike()}) {
            LlamaWeights w = TestModels.random(c, 9);
            int[][] seqs = {TestModels.tokens(c, 35, 1), TestModels.tokens(c, 35, 2)};
            GradientCollector plain = new GradientCollector();
            StreamedBackward.Result a = StreamedBackward.run(new WeightsBlockSource(w), seqs, Checkpoints.inMemory(c.nLayers()), 2, plain::forBlock,
                    new BlockTape(c), NllHead.DEFAULT_CHUNK_BYTES, StreamedBackward.Listener.NONE, ThreadTeam.shared());
            LlamaWeights scrambled = w.copy();
            GradientCollector col = new GradientCollector();
            StreamedBackward.Result b = StreamedBackward.run(new WeightsBlockSource(scrambled), seqs, Checkpoints.inMemory(c.nLayers()), 2, block -> {
                GradientSink inner = col.forBlock(block);
                BlockWeights bw = scrambled.block(block);
                return new GradientSink() {
                    @Override public void linear(int group, LayerKind kind, Matrix gradient) {
                        inner.linear(group, kind, gradient);
                        Arrays.fill(bw.linear(kind).data(), Float.NaN);
                    }

                    @Override public boolean wantsBiases() { return true; }

                    @Override public void bias(int group, LayerKind kind, float[] gradient) {
                        inner.bias(group, kind, gradient);
                        Arrays.fill(bw.bias(kind), Float.NaN);
                    }

                    @Override public boolean wantsNorms() { return true; }

                    @Override public void norm(int group, Norm norm, float[] gradient) { inner.norm(group, norm, gradient); }
                };
            }, new BlockTape(c), NllHead.DEFAULT_CHUNK_BYTES, StreamedBackward.Listener.NONE, ThreadTeam.shared());
            assertThat(b.losses()).containsExactly(a.losses());
            assertThat(b.inputGradient().data()).containsExactly(a.inputGradient().data());
            for (var e : plain.grads.entrySet()) assertThat(col.grads.get(e.getKey())).as(e.getKey()).containsExactly(e.getValue());
            assertThat(scrambled.block(0).linear(LayerKind.W2).data()[0]).isNaN();
        }
    }
}
