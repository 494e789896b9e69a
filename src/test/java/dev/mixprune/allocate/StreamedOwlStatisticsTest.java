package dev.mixprune.allocate;

import dev.mixprune.SharedFiles;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.TensorDType;
import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.model.InputGroup;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaForward;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.resources.HeapGuard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** OWL's and Wanda's dense-propagated statistics, streamed block by block from a mapped file. */
class StreamedOwlStatisticsTest {
    @TempDir Path dir;

    static List<int[]> windows(LlamaConfig c, int n, int len, long seed) {
        Random r = new Random(seed);
        List<int[]> w = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] t = new int[len];
            for (int j = 0; j < len; j++) t[j] = r.nextInt(c.vocabSize());
            w.add(t);
        }
        return w;
    }

    @Test
    void scalersEqualAnIndependentWholeModelComputationAndTheFileEqualsMemory() throws Exception {
        LoadedModel m = ModelLoader.load(SharedFiles.require(SharedFiles.stories260KBin()), null);
        LlamaWeights w = m.weights();
        LlamaConfig c = w.config();
        List<int[]> win = windows(c, 5, 48, 1);
        // independent: the whole-model forward with a capture, mean over sequences of per-sequence sums of squares
        double[][][] expected = new double[c.nLayers()][InputGroup.values().length][];
        LlamaForward.hidden(w, win.toArray(new int[0][]), (block, group, x) -> {
            double[] s = expected[block][group.ordinal()] = new double[x.cols()];
            for (int t = 0; t < x.rows(); t++) for (int j = 0; j < x.cols(); j++) s[j] += (double) x.get(t, j) * x.get(t, j) / win.size();
        });
        // chunks of 2 windows, from the mapped file
        Path gguf = dir.resolve("m.gguf");
        ModelWriter.write(w, m.tokenizerOrNull(), Map.of(), gguf, ModelFormat.GGUF, TensorDType.F32);
        WandaScalers streamed;
        double[] ratiosFile;
        try (BlockSource src = MappedBlockSource.open(gguf, null)) {
            streamed = WandaScalers.collect(src, win, 2, HeapGuard.none());
            ratiosFile = OwlAllocator.outlierRatios(src, win, OwlAllocator.DEFAULT_M, 2, HeapGuard.none());
        }
        for (int b = 0; b < c.nLayers(); b++) {
            for (InputGroup g : InputGroup.values()) {
                float[] got = streamed.of(b, g);
                double[] want = expected[b][g.ordinal()];
                assertThat(got).hasSize(want.length);
                for (int j = 0; j < want.length; j++) {
                    assertThat((double) got[j]).as("block %d %s column %d", b, g, j).isCloseTo(want[j], within(1e-5 * want[j] + 1e-9));
                }
            }
        }
        // the ratios from the file equal those of the model in memory (one window chunk size or another)
        double[] ratiosMemory = OwlAllocator.outlierRatios(new WeightsBlockSource(w), win, OwlAllocator.DEFAULT_M, 16, HeapGuard.none());
        assertThat(ratiosFile).containsExactly(ratiosMemory);
        for (double d : ratiosFile) assertThat(d).isBetween(0.0, 100.0);
        assertThat(ratiosFile).doesNotContain(0.0);
    }

    @Test
    void owlAllocationReadsOneBlockAtATime() throws Exception {
        LlamaWeights w = ModelLoader.loadWeights(SharedFiles.require(SharedFiles.stories260KBin()));
        int[] out = {0};
        int[] maxOut = {0};
        BlockSource counting = new StreamingFisherTest.FailingSource(new WeightsBlockSource(w), -1, -1) {
            @Override public dev.mixprune.model.BlockWeights block(int b) {
                maxOut[0] = Math.max(maxOut[0], ++out[0]);
                return super.block(b);
            }

            @Override public void release(dev.mixprune.model.BlockWeights bw) { out[0]--; }
        };
        var plan = Allocations.allocate("owl", counting, "unstructured", 0.025, Granularity.LAYER, 0.7, windows(w.config(), 4, 32, 2), null);
        assertThat(maxOut[0]).isEqualTo(1);
        assertThat(plan.expectedSparsity(w.config())).isBetween(0.7, 0.7 + 0.0125 + 1e-9);
    }
}
