package dev.mixprune.prune;

import dev.mixprune.SharedFiles;
import dev.mixprune.data.CalibrationWindows;
import dev.mixprune.data.Corpus;
import dev.mixprune.data.TokenStream;
import dev.mixprune.eval.Perplexity;
import dev.mixprune.eval.PerplexityResult;
import dev.mixprune.io.BlockSink;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.TensorDType;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Streaming pruning (memory-mapped source, progressive sink) against the in-memory path
 * (ModelLoader, SequentialPruner on LlamaWeights, ModelWriter): identical output bytes for every
 * input/output format, method, a plan and both propagation modes; failures leave nothing; the
 * source is asked for each block once, in order, only after the previous one was written.
 */
class StreamingPruneTest {
    static Path bin, tok;
    @TempDir static Path inputs;
    static Path gguf, hf, ggufF16;
    static List<int[]> windows;

    @BeforeAll
    static void setUp() throws Exception {
        bin = SharedFiles.require(SharedFiles.stories260KBin());
        tok = SharedFiles.require(SharedFiles.tok512());
        gguf = SharedFiles.require(SharedFiles.stories260KGguf());
        LoadedModel m = ModelLoader.load(bin, tok);
        hf = inputs.resolve("hf");
        ModelWriter.write(m.weights(), m.tokenizerOrNull(), m.metadata(), hf, ModelFormat.SAFETENSORS, TensorDType.F32);
        ggufF16 = inputs.resolve("f16.gguf");
        ModelWriter.write(m.weights(), m.tokenizerOrNull(), m.metadata(), ggufF16, ModelFormat.GGUF, TensorDType.F16);
        TokenStream calib = TokenStream.of(Corpus.read(SharedFiles.require(SharedFiles.tinyStoriesCalib())), m.requireTokenizer());
        windows = Arrays.asList(CalibrationWindows.sample(calib, 4, 64, 0).windows());
    }

    /** A plan mixing ratios and N:M patterns over the layers (deterministic). */
    static SparsityPlan mixedPlan(LlamaConfig c) {
        Pattern[] choices = {new Pattern.Unstructured(0.3), new Pattern.NM(2, 4), new Pattern.Unstructured(0.7), new Pattern.NM(1, 8), new Pattern.NM(3, 8)};
        Map<LayerId, Pattern> m = new TreeMap<>();
        SplittableRandom r = new SplittableRandom(7);
        for (LayerId id : LayerId.all(c)) m.put(id, choices[r.nextInt(choices.length)]);
        return new SparsityPlan("test-mixed", SparsityPlan.ModelShape.of(c), m);
    }

    record Case(Path input, ModelFormat out, TensorDType dtype, PruneMethod method, Propagation propagation, boolean plan) { }

    /** In memory: load, prune in place, write. */
    static void inMemory(Case k, SparsityPlan plan, Path out) throws IOException {
        LoadedModel m = ModelLoader.load(k.input(), k.input().toString().endsWith(".bin") ? tok : null);
        new SequentialPruner(SequentialPruner.Options.of(k.method()).withPropagation(k.propagation()), PruneListener.NONE)
                .run(m.weights(), plan, windows);
        ModelWriter.write(m.weights(), m.tokenizerOrNull(), m.metadata(), out, k.out(), k.dtype());
    }

    /** Streaming: the memory-mapped source, the progressive sink. */
    static PruneResult streamed(Case k, SparsityPlan plan, Path out) throws IOException {
        try (BlockSource src = MappedBlockSource.open(k.input(), k.input().toString().endsWith(".bin") ? tok : null);
             BlockSink sink = BlockSink.open(src, out, k.out(), k.dtype())) {
            PruneResult r = new SequentialPruner(SequentialPruner.Options.of(k.method()).withPropagation(k.propagation()), PruneListener.NONE)
                    .run(src, sink, plan, windows);
            sink.finish();
            return r;
        }
    }

    static void assertSameFiles(Path a, Path b) throws IOException {
        List<Path> fa = files(a), fb = files(b);
        assertThat(fb.stream().map(p -> b.relativize(p).toString()).toList()).isEqualTo(fa.stream().map(p -> a.relativize(p).toString()).toList());
        assertThat(fa).isNotEmpty();
        for (int i = 0; i < fa.size(); i++) {
            assertThat(Files.mismatch(fa.get(i), fb.get(i))).as("first differing byte of " + fb.get(i)).isEqualTo(-1L);
        }
    }

    static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    void check(Case k, Path dir) throws IOException {
        LlamaConfig c;
        try (BlockSource s = MappedBlockSource.open(k.input(), k.input().toString().endsWith(".bin") ? tok : null)) {
            c = s.config();
        }
        SparsityPlan plan = k.plan() ? mixedPlan(c) : SparsityPlan.uniform(c, k.method() == PruneMethod.SPARSEGPT ? new Pattern.NM(2, 4) : new Pattern.Unstructured(0.5));
        String name = switch (k.out()) { case BIN -> "m.bin"; case GGUF -> "m.gguf"; case SAFETENSORS -> "m"; };
        Path a = dir.resolve("memory"), b = dir.resolve("stream");
        inMemory(k, plan, a.resolve(name));
        PruneResult r = streamed(k, plan, b.resolve(name));
        assertSameFiles(a, b);
        assertThat(r.overallSparsity()).isGreaterThan(0.25);
        assertThat(r.blocks()).hasSize(c.nLayers());
    }

    @Test
    void binToBinWandaPrunedPropagationIsByteIdentical(@TempDir Path dir) throws IOException {
        check(new Case(bin, ModelFormat.BIN, TensorDType.F32, PruneMethod.WANDA, Propagation.PRUNED, false), dir);
    }

    @Test
    void ggufToGgufSparseGptDensePropagationIsByteIdentical(@TempDir Path dir) throws IOException {
        check(new Case(gguf, ModelFormat.GGUF, TensorDType.F32, PruneMethod.SPARSEGPT, Propagation.DENSE, false), dir);
    }

    @Test
    void safetensorsToSafetensorsMagnitudeWithAPlanIsByteIdentical(@TempDir Path dir) throws IOException {
        check(new Case(hf, ModelFormat.SAFETENSORS, TensorDType.F32, PruneMethod.MAGNITUDE, Propagation.PRUNED, true), dir);
    }

    @Test
    void crossFormatsWithAPlanAreByteIdentical(@TempDir Path dir) throws IOException {
        check(new Case(bin, ModelFormat.GGUF, TensorDType.F32, PruneMethod.WANDA, Propagation.PRUNED, true), dir.resolve("1"));
        check(new Case(gguf, ModelFormat.SAFETENSORS, TensorDType.F32, PruneMethod.SPARSEGPT, Propagation.PRUNED, true), dir.resolve("2"));
        check(new Case(hf, ModelFormat.BIN, TensorDType.F32, PruneMethod.WANDA, Propagation.DENSE, false), dir.resolve("3"));
    }

    @Test
    void f16InputWrittenAsF16IsByteIdentical(@TempDir Path dir) throws IOException {
        try (BlockSource s = MappedBlockSource.open(ggufF16, null)) {
            assertThat(s.weightType()).isEqualTo("F16");
            assertThat(s.naturalOutputType()).isEqualTo(TensorDType.F16);
        }
        check(new Case(ggufF16, ModelFormat.GGUF, TensorDType.F16, PruneMethod.WANDA, Propagation.PRUNED, false), dir.resolve("gguf"));
        check(new Case(ggufF16, ModelFormat.SAFETENSORS, TensorDType.F16, PruneMethod.MAGNITUDE, Propagation.PRUNED, true), dir.resolve("hf"));
    }

    @Test
    void mappedSourceServesTheLoadersWeightsBitForBit() throws IOException {
        for (Path p : List.of(bin, gguf, hf, ggufF16)) {
            LlamaWeights w = ModelLoader.load(p, p == bin ? tok : null).weights();
            try (BlockSource s = MappedBlockSource.open(p, p == bin ? tok : null)) {
                LlamaConfig c = s.config();
                assertThat(c).isEqualTo(w.config());
                for (int b = 0; b < c.nLayers(); b++) {
                    BlockWeights x = s.block(b), y = w.block(b);
                    assertThat(x.attNorm()).isEqualTo(y.attNorm());
                    assertThat(x.ffnNorm()).isEqualTo(y.ffnNorm());
                    for (LayerKind k : LayerKind.values()) assertThat(x.linear(k).data()).as(p + " blk." + b + "." + k).isEqualTo(y.linear(k).data());
                }
                assertThat(s.embeddingRows(0, c.vocabSize())).isEqualTo(w.tokenEmbedding().data());
                assertThat(s.embeddingRows(17, 3)).isEqualTo(Arrays.copyOfRange(w.tokenEmbedding().data(), 17 * c.dim(), 20 * c.dim()));
                assertThat(s.finalNorm()).isEqualTo(w.finalNorm());
                assertThat(s.classifier().data()).isEqualTo(w.classifier().data());
            }
        }
    }

    @Test
    void aReleasedBlocksArraysAreRefilledCorrectly() throws IOException {
        for (Path p : List.of(bin, hf, ggufF16)) {
            LlamaWeights w = ModelLoader.load(p, p == bin ? tok : null).weights();
            try (BlockSource s = MappedBlockSource.open(p, p == bin ? tok : null)) {
                BlockWeights first = s.block(0);
                float[] wq = first.linear(LayerKind.WQ).data();
                s.release(first);
                for (int b = 1; b < s.config().nLayers(); b++) {
                    BlockWeights x = s.block(b);
                    assertThat(x.linear(LayerKind.WQ).data()).isSameAs(wq);
                    for (LayerKind k : LayerKind.values()) assertThat(x.linear(k).data()).as(p + " blk." + b + "." + k).isEqualTo(w.block(b).linear(k).data());
                    s.release(x);
                }
            }
        }
    }

    @Test
    void blockwisePerplexityEqualsTheInMemoryOneExactly() throws IOException {
        LoadedModel m = ModelLoader.load(bin, tok);
        String text = Files.readString(SharedFiles.require(SharedFiles.tinyStoriesValid()));
        int[] stream = TokenStream.of(Corpus.of(bin, Corpus.read(SharedFiles.tinyStoriesValid()).split(), text.substring(0, 40_000)), m.requireTokenizer()).toArray();
        PerplexityResult want = Perplexity.compute(m.weights(), stream, 128);
        try (BlockSource s = MappedBlockSource.open(gguf, null)) {
            PerplexityResult got = BlockwisePerplexity.compute(s, stream, 128);
            assertThat(got.windows()).isGreaterThan(20);
            assertThat(got).isEqualTo(want);
        }
    }

    /** Delegates to a real sink and fails when block {@code failAt} arrives. */
    record FailingSink(BlockSink inner, int failAt) implements BlockSink {
        @Override public void accept(int b, BlockWeights w) throws IOException {
            if (b == failAt) throw new IOException("disk full (test) at block " + b);
            inner.accept(b, w);
        }
        @Override public void finish() throws IOException { inner.finish(); }
        @Override public void close() throws IOException { inner.close(); }
    }

    @Test
    void aSinkFailingAtBlock2LeavesNoFileInAnyFormat(@TempDir Path dir) throws IOException {
        for (ModelFormat f : ModelFormat.values()) {
            Path outDir = Files.createDirectories(dir.resolve(f.name())).resolve("new-subdir");
            Path out = outDir.resolve(f == ModelFormat.SAFETENSORS ? "hf" : "m." + f.name().toLowerCase());
            try (BlockSource src = MappedBlockSource.open(bin, tok)) {
                LlamaConfig c = src.config();
                assertThatThrownBy(() -> {
                    try (BlockSink sink = new FailingSink(BlockSink.open(src, out, f, TensorDType.F32), 2)) {
                        new SequentialPruner(SequentialPruner.Options.of(PruneMethod.WANDA), PruneListener.NONE)
                                .run(src, sink, SparsityPlan.uniform(c, new Pattern.NM(2, 4)), windows);
                        sink.finish();
                    }
                }).hasMessageContaining("at block 2");
            }
            assertThat(outDir).doesNotExist(); // the temp file is gone, and so are the directories the sink created
            assertThat(dir.resolve(f.name())).isEmptyDirectory();
        }
    }

    /** A source that records every block handed out and checks the pruner's order against the sink's. */
    static final class CountingSource implements BlockSource {
        final BlockSource inner;
        final List<String> events = new ArrayList<>();
        int outstanding, maxOutstanding;

        CountingSource(BlockSource inner) { this.inner = inner; }

        @Override public BlockWeights block(int b) {
            events.add("read " + b);
            outstanding++;
            maxOutstanding = Math.max(maxOutstanding, outstanding);
            return inner.block(b);
        }

        BlockSink countingSink(BlockSink s) {
            return new BlockSink() {
                @Override public void accept(int b, BlockWeights w) throws IOException {
                    events.add("write " + b);
                    outstanding--;
                    s.accept(b, w);
                }
                @Override public void finish() throws IOException { s.finish(); }
                @Override public void close() throws IOException { s.close(); }
            };
        }

        @Override public Path path() { return inner.path(); }
        @Override public ModelFormat format() { return inner.format(); }
        @Override public LlamaConfig config() { return inner.config(); }
        @Override public Optional<Tokenizer> tokenizer() { return inner.tokenizer(); }
        @Override public Map<String, Object> metadata() { return inner.metadata(); }
        @Override public String weightType() { return inner.weightType(); }
        @Override public float[] embeddingRows(int first, int count) { return inner.embeddingRows(first, count); }
        @Override public float[] classifierRows(int first, int count) { return inner.classifierRows(first, count); }
        @Override public float[] finalNorm() { return inner.finalNorm(); }
        @Override public void close() { inner.close(); }
    }

    @Test
    void theSourceNeverHasMoreThanOneBlockOut(@TempDir Path dir) throws IOException {
        for (PruneMethod m : PruneMethod.values()) {
            try (CountingSource src = new CountingSource(MappedBlockSource.open(gguf, null));
                 BlockSink sink = src.countingSink(BlockSink.open(src, dir.resolve(m.cliName() + ".gguf"), ModelFormat.GGUF, TensorDType.F32))) {
                int n = src.config().nLayers();
                new SequentialPruner(SequentialPruner.Options.of(m).withReconstructionError(true), PruneListener.NONE)
                        .run(src, sink, SparsityPlan.uniform(src.config(), new Pattern.Unstructured(0.5)), windows);
                sink.finish();
                List<String> want = new ArrayList<>();
                for (int b = 0; b < n; b++) {
                    want.add("read " + b);
                    want.add("write " + b);
                }
                assertThat(src.events).as(m.cliName()).isEqualTo(want);
                assertThat(src.maxOutstanding).isEqualTo(1);
            }
        }
    }
}
