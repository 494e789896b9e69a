package dev.mixprune.allocate;

import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.backward.Gradients;
import dev.mixprune.model.backward.ParamSet;
import dev.mixprune.model.backward.TestModels;
import dev.mixprune.prune.SparsityPlan.ModelShape;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class FisherSensitivityTest {
    static final LlamaConfig C = TestModels.unsharedGqa();
    static final LlamaWeights W = TestModels.random(C, 3);

    static int[][] windows(int n, int len) {
        int[][] w = new int[n][];
        for (int i = 0; i < n; i++) w[i] = TestModels.tokens(C, len, 100 + i);
        return w;
    }

    @Test
    void tracesAreMeanOverWindowsOfSquaredPerWindowGradients() {
        int[][] win = windows(5, 9);
        List<Integer> progress = new ArrayList<>();
        FisherReport r = FisherSensitivity.compute(W, win, (done, total) -> progress.add(done), 2, "test");
        assertThat(progress).containsExactly(1, 2, 3, 4, 5);
        assertThat(r.windows()).isEqualTo(5);
        assertThat(r.seqLen()).isEqualTo(9);
        assertThat(r.shape()).isEqualTo(ModelShape.of(C));
        assertThat(r.traces()).hasSize(7 * C.nLayers());

        double[] expected = new double[7 * C.nLayers()];
        double[][] perWindow = new double[win.length][7 * C.nLayers()];
        double loss = 0;
        for (int n = 0; n < win.length; n++) {
            Gradients.Result g = Gradients.of(W, win[n]);
            loss += g.loss();
            for (LayerId id : LayerId.all(C)) {
                double s = 0;
                for (double v : g.gradient().linear(id)) s += v * v;
                expected[id.block() * 7 + id.kind().ordinal()] += s / win.length;
                perWindow[n][id.block() * 7 + id.kind().ordinal()] = s;
            }
        }
        for (LayerId id : LayerId.all(C)) {
            int j = id.block() * 7 + id.kind().ordinal();
            double var = 0;
            for (double[] pw : perWindow) var += (pw[j] - expected[j]) * (pw[j] - expected[j]);
            double se = Math.sqrt(var / (win.length - 1) / win.length);
            assertThat(r.stdError(id)).as("stderr " + id).isCloseTo(se, within(1e-12 * se + 1e-18));
        }
        for (LayerId id : LayerId.all(C)) {
            assertThat(r.trace(id)).as(id.name()).isCloseTo(expected[id.block() * 7 + id.kind().ordinal()], within(1e-15 + 1e-12 * r.trace(id)));
            assertThat(r.trace(id)).isPositive();
            assertThat(r.density(id)).isEqualTo(r.trace(id) / C.weightsOf(id.kind()));
        }
        assertThat(r.meanLoss()).isCloseTo(loss / win.length, within(1e-12));
        double[] blocks = r.blockSums();
        for (int b = 0; b < C.nLayers(); b++) {
            double s = 0;
            for (LayerKind k : LayerKind.values()) s += r.trace(new LayerId(b, k));
            assertThat(blocks[b]).isCloseTo(s, within(1e-15));
        }
    }

    @Test
    void traceOfOneLayerMatchesFiniteDifferenceGradients() {
        // protocol F end to end without the analytic backward: gradients of blk.1.wk by central differences
        int[][] win = windows(3, 7);
        FisherReport r = FisherSensitivity.compute(W, win, FisherSensitivity.Progress.NONE, 1, "");
        ParamSet p = ParamSet.of(W);
        double[] wk = p.linear(1, LayerKind.WK);
        double h = 1e-5, trace = 0;
        for (int[] w : win) {
            for (int i = 0; i < wk.length; i++) {
                double saved = wk[i];
                wk[i] = saved + h;
                double plus = Gradients.of(p, w).loss();
                wk[i] = saved - h;
                double minus = Gradients.of(p, w).loss();
                wk[i] = saved;
                double g = (plus - minus) / (2 * h);
                trace += g * g / win.length;
            }
        }
        assertThat(r.trace(new LayerId(1, LayerKind.WK))).isCloseTo(trace, within(1e-6 * trace));
    }

    @Test
    void resultDoesNotDependOnThreadCount() {
        int[][] win = windows(7, 8);
        FisherReport one = FisherSensitivity.compute(W, win, null, 1, "");
        FisherReport three = FisherSensitivity.compute(W, win, null, 3, "");
        assertThat(three.traces()).isEqualTo(one.traces());
        assertThat(three.dataSha256()).isEqualTo(one.dataSha256()).hasSize(64);
        int[][] other = windows(7, 8);
        other[6][3] = (other[6][3] + 1) % C.vocabSize();
        assertThat(FisherSensitivity.sha256(other)).isNotEqualTo(one.dataSha256());
    }

    @Test
    void calibrationSetOverloadTakesTheFirstWindows() {
        int[] ids = new int[200];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 7 + i / 5) % C.vocabSize();
        var cal = dev.mixprune.data.CalibrationWindows.sample(dev.mixprune.data.TokenStream.ofIds(ids, 1), 6, 10, 0);
        FisherReport r = FisherSensitivity.compute(W, cal, 4, null);
        int[][] first4 = {cal.window(0), cal.window(1), cal.window(2), cal.window(3)};
        assertThat(r.windows()).isEqualTo(4);
        assertThat(r.dataSha256()).isEqualTo(FisherSensitivity.sha256(first4));
        assertThat(r.traces()).isEqualTo(FisherSensitivity.compute(W, first4, null, 1, "").traces());
        assertThat(r.source()).contains("seed 0", "first 4 of 6");
        assertThat(FisherSensitivity.compute(W, cal, 50, null).windows()).isEqualTo(6);
    }

    @Test
    void aModelTooLargeForTheHeapFailsEarlyWithTheNumbers() {
        // a 7B-like shape: the check runs before anything is allocated
        LlamaConfig big = new LlamaConfig(4096, 11008, 32, 32, 32, 32000, 4096, 1e-5f, 10000f, false);
        assertThat(FisherSensitivity.requiredBytes(big, 2048, 1)).isGreaterThan(8L * big.parameterCount() * 2);
        assertThatThrownBy(() -> FisherSensitivity.checkMemory(big, 2048, 1))
                .isInstanceOf(dev.mixprune.BadInputException.class)
                .hasMessageContaining("GB").hasMessageContaining("seqlen 2048").hasMessageContaining("--seqlen");
        FisherSensitivity.checkMemory(C, 16, 2); // a tiny model fits
    }

    @Test
    void nonFiniteWeightsGiveAClearError() {
        LlamaWeights broken = W.copy();
        broken.block(1).w2().data()[5] = Float.POSITIVE_INFINITY;
        assertThatThrownBy(() -> FisherSensitivity.compute(broken, windows(2, 6), null, 2, ""))
                .isInstanceOf(dev.mixprune.BadInputException.class).hasMessageContaining("not finite");
    }

    @Test
    void rejectsRaggedOrEmptyWindows() {
        assertThatThrownBy(() -> FisherSensitivity.compute(W, new int[0][], null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no windows");
        assertThatThrownBy(() -> FisherSensitivity.compute(W, new int[][]{{1, 2, 3}, {1, 2}}, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("window 1 has 2 tokens");
        assertThatThrownBy(() -> FisherSensitivity.compute(W, new int[][]{{1, 2, 99}}, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside vocabulary");
    }
}
