package dev.mixprune.allocate;

import dev.mixprune.BadInputException;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.TensorDType;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.backward.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Streamed float32 Fisher traces against the double reference, and the streaming machinery itself. */
class StreamingFisherTest {
    @TempDir Path dir;

    static LoadedModel stories;

    @BeforeAll
    static void load() throws Exception {
        stories = ModelLoader.load(SharedFiles.require(SharedFiles.stories260KBin()), null);
    }

    static int[][] windows(LlamaConfig c, int n, int len, long seed) {
        Random r = new Random(seed);
        int[][] w = new int[n][len];
        for (int[] win : w) for (int t = 0; t < len; t++) win[t] = t % 5 == 4 ? win[t - 3] : r.nextInt(c.vocabSize());
        return w;
    }

    StreamingFisher.Options options() {
        return StreamingFisher.Options.defaults(dir.resolve("checkpoints")).withThreads(2);
    }

    /** protocols.md F's traces, streamed in float32, within 1e-4 relative of the double reference (the bound). */
    static double assertCloseToReference(LlamaWeights w, int[][] win, FisherReport f) {
        FisherReport ref = FisherSensitivity.compute(w, win, null, 2, "");
        assertThat(f.meanLoss()).isCloseTo(ref.meanLoss(), within(1e-6 * ref.meanLoss()));
        assertThat(f.dataSha256()).isEqualTo(ref.dataSha256());
        double worst = 0;
        for (LayerId id : LayerId.all(w.config())) {
            double rel = Math.abs(f.trace(id) - ref.trace(id)) / ref.trace(id);
            worst = Math.max(worst, rel);
            assertThat(rel).as("trace of " + id).isLessThan(1e-4);
            assertThat(f.stdError(id)).as("stderr of " + id).isCloseTo(ref.stdError(id), within(1e-4 * ref.stdError(id)));
        }
        return worst;
    }

    @Test
    void tracesOfRandomAwkwardModelsMatchTheDoubleReference() {
        LlamaConfig[] configs = {TestModels.unsharedGqa(), TestModels.sharedGqa(), TestModels.qwenLike(), TestModels.llama3Like(),
                TestModels.allBiasesLinearRope(),
                new LlamaConfig(48, 100, 3, 6, 2, 77, 64, 1e-5f, 10000f, false), new LlamaConfig(40, 70, 2, 5, 1, 61, 64, 1e-5f, 10000f, true)};
        for (LlamaConfig c : configs) {
            LlamaWeights w = TestModels.random(c, 21);
            int[][] win = windows(c, 5, c.dim() > 20 ? 37 : 13, 3);
            double worst = assertCloseToReference(w, win, StreamingFisher.compute(new WeightsBlockSource(w), win, "", options(), null));
            System.out.printf("streamed float32 vs double Fisher traces, %s: worst relative difference %.2e%n", c, worst);
        }
    }

    @Test
    void stories260KTracesMatchTheDoubleReference() {
        int[][] win = windows(stories.weights().config(), 3, 96, 5);
        double worst = assertCloseToReference(stories.weights(), win,
                StreamingFisher.compute(new WeightsBlockSource(stories.weights()), win, "", options(), null));
        System.out.printf("streamed float32 vs double Fisher traces, stories260K 3 x 96: worst relative difference %.2e%n", worst);
    }

    @Test
    void streamedFromAnF16FileWithFileCheckpointsEqualsInMemory() throws Exception {
        // The F16 file is read as stored and widened block by block; in memory, the loader widens it whole.
        Path gguf = dir.resolve("m.gguf");
        ModelWriter.write(stories.weights(), stories.tokenizerOrNull(), Map.of(), gguf, ModelFormat.GGUF, TensorDType.F16);
        LlamaWeights widened = ModelLoader.load(gguf, null).weights();
        int[][] win = windows(widened.config(), 4, 40, 6);
        // small groups (2 windows), checkpoints always in a file
        StreamingFisher.Options streamedOpts = options().withGroupBytes(2 * 40 * StreamingFisher.bytesPerRow(widened.config()))
                .withInMemoryCheckpointBytes(0);
        StreamingFisher.Plan plan = StreamingFisher.plan(widened.config(), 4, 40, streamedOpts);
        assertThat(plan.groups()).isEqualTo(2);
        assertThat(plan.checkpointsOnDisk()).isTrue();
        FisherReport streamed;
        try (BlockSource src = MappedBlockSource.open(gguf, null)) {
            assertThat(src.weightType()).isEqualTo("F16");
            streamed = StreamingFisher.compute(src, win, "", streamedOpts, null);
        }
        FisherReport inMemory = StreamingFisher.compute(new WeightsBlockSource(widened), win, "",
                streamedOpts.withInMemoryCheckpointBytes(Long.MAX_VALUE), null);
        assertThat(streamed.traces()).isEqualTo(inMemory.traces());
        assertThat(streamed.meanLoss()).isEqualTo(inMemory.meanLoss());
        assertThat(listDir()).isEmpty();
    }

    @Test
    void groupingAndThreadsDoNotChangeTheTraces() {
        LlamaConfig c = new LlamaConfig(48, 100, 2, 6, 2, 77, 64, 1e-5f, 10000f, false);
        LlamaWeights w = TestModels.random(c, 22);
        int[][] win = windows(c, 5, 36, 8);
        FisherReport oneGroup = StreamingFisher.compute(new WeightsBlockSource(w), win, "", options().withThreads(1), null);
        FisherReport threads2 = StreamingFisher.compute(new WeightsBlockSource(w), win, "", options().withThreads(2), null);
        assertThat(threads2.traces()).isEqualTo(oneGroup.traces());
        assertThat(threads2.stdErrors()).isEqualTo(oneGroup.stdErrors());
        StreamingFisher.Options single = options().withGroupBytes(1);
        assertThat(StreamingFisher.plan(c, 5, 36, single).groups()).isEqualTo(5);
        FisherReport perWindow = StreamingFisher.compute(new WeightsBlockSource(w), win, "", single, null);
        assertThat(perWindow.traces()).isEqualTo(oneGroup.traces());
        // any subset of windows gives the same per-window values (what a cluster member computes)
        StreamingFisher.PerWindow all = StreamingFisher.perWindow(new WeightsBlockSource(w), win, options(), null);
        StreamingFisher.PerWindow some = StreamingFisher.perWindow(new WeightsBlockSource(w), new int[][]{win[3], win[1]}, options(), null);
        assertThat(some.squares()[0]).containsExactly(all.squares()[3]);
        assertThat(some.squares()[1]).containsExactly(all.squares()[1]);
        assertThat(some.losses()).containsExactly(all.losses()[3], all.losses()[1]);
    }

    @Test
    void checkpointFileIsRemovedWhenTheRunFails() {
        LlamaWeights w = TestModels.random(TestModels.unsharedGqa(), 23);
        int[][] win = windows(w.config(), 2, 12, 9);
        // fails on the 2nd read of block 0, i.e. during the backward, while the checkpoint file is open
        BlockSource failing = new FailingSource(new WeightsBlockSource(w), 0, 2);
        assertThatThrownBy(() -> StreamingFisher.compute(failing, win, "", options().withInMemoryCheckpointBytes(0), null))
                .hasMessageContaining("injected failure");
        assertThat(listDir()).isEmpty();
        // and a successful run with file checkpoints leaves nothing either
        StreamingFisher.compute(new WeightsBlockSource(w), win, "", options().withInMemoryCheckpointBytes(0), null);
        assertThat(listDir()).isEmpty();
    }

    @Test
    void nonFiniteGradientsAreReportedWithTheWindow() {
        LlamaWeights w = TestModels.random(TestModels.unsharedGqa(), 24);
        w.block(1).linear(dev.mixprune.model.LayerKind.W2).data()[3] = Float.NaN;
        assertThatThrownBy(() -> StreamingFisher.compute(new WeightsBlockSource(w), windows(w.config(), 2, 9, 1), "", options(), null))
                .isInstanceOf(BadInputException.class).hasMessageContaining("window 0").hasMessageContaining("not finite");
    }

    @Test
    void progressCountsBlockPasses() {
        LlamaWeights w = TestModels.random(TestModels.sharedGqa(), 25);
        List<Long> steps = new java.util.ArrayList<>();
        StreamingFisher.Options o = options().withGroupBytes(1);
        StreamingFisher.compute(new WeightsBlockSource(w), windows(w.config(), 3, 8, 2), "", o, (done, total) -> {
            assertThat(total).isEqualTo(3 * 2 * 2);
            steps.add(done);
        });
        assertThat(steps).hasSize(12).last().isEqualTo(12L);
    }

    /** What is left in the checkpoint directory. */
    List<Path> listDir() {
        if (!Files.exists(dir.resolve("checkpoints"))) return List.of();
        try (var s = Files.list(dir.resolve("checkpoints"))) {
            return s.toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Delegates to a source and throws on the n-th read of one block. */
    static class FailingSource implements BlockSource {
        final BlockSource d;
        final int block, failOnRead;
        int reads;

        FailingSource(BlockSource d, int block, int failOnRead) {
            this.d = d;
            this.block = block;
            this.failOnRead = failOnRead;
        }

        @Override public BlockWeights block(int b) {
            if (b == block && ++reads == failOnRead) throw new IllegalStateException("injected failure reading block " + b);
            return d.block(b);
        }

        @Override public Path path() { return d.path(); }
        @Override public ModelFormat format() { return d.format(); }
        @Override public LlamaConfig config() { return d.config(); }
        @Override public Optional<Tokenizer> tokenizer() { return d.tokenizer(); }
        @Override public Map<String, Object> metadata() { return d.metadata(); }
        @Override public String weightType() { return d.weightType(); }
        @Override public float[] embeddingRows(int first, int count) { return d.embeddingRows(first, count); }
        @Override public float[] classifierRows(int first, int count) { return d.classifierRows(first, count); }
        @Override public float[] finalNorm() { return d.finalNorm(); }
        @Override public void close() { d.close(); }
    }
}
