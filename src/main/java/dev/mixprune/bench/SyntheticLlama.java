package dev.mixprune.bench;

import dev.mixprune.io.BlockSink;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.GgufValue;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.io.TensorDType;
import dev.mixprune.io.TokenizerFiles;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Writes a synthetic LLaMA of realistic shape as an F32 GGUF that llama.cpp loads: random weights
 * (uniform, variance 1/in_features so activations stay of order one), unit norm gains, a separate
 * classifier, and the SentencePiece vocabulary of another GGUF (its size sets the vocabulary).
 * Usage: {@code SyntheticLlama OUT.gguf VOCAB [dim hidden layers heads] [seed] [f32|f16] [kvHeads]}, default
 * 2048 5632 16 32, seed 1, f32, kvHeads = heads (f16 writes block by block, so a model larger than memory
 * can be written). VOCAB is any tokenizer file {@code TokenizerFiles} reads (a GGUF, tokenizer.bin or
 * an HF tokenizer.json: Llama 3's gives a 128k vocabulary).
 */
public final class SyntheticLlama {
    private SyntheticLlama() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]), vocabFrom = Path.of(args[1]);
        int dim = args.length > 2 ? Integer.parseInt(args[2]) : 2048, hidden = args.length > 3 ? Integer.parseInt(args[3]) : 5632;
        int layers = args.length > 4 ? Integer.parseInt(args[4]) : 16, heads = args.length > 5 ? Integer.parseInt(args[5]) : 32;
        long seed = args.length > 6 ? Long.parseLong(args[6]) : 1;
        boolean f16 = args.length > 7 && args[7].equalsIgnoreCase("f16");
        int kvHeads = args.length > 8 ? Integer.parseInt(args[8]) : heads;
        // a llama2.c tokenizer.bin does not say its size: 32000 (Llama 2); other files carry theirs
        Tokenizer vocab = TokenizerFiles.read(vocabFrom, vocabFrom.toString().endsWith(".bin") ? 32000 : -1);
        LlamaConfig c = new LlamaConfig(dim, hidden, layers, heads, kvHeads, vocab.size(), 2048, 1e-5f, 10000f, false);
        if (f16) {
            writeStreaming(out, c, vocab, seed, TensorDType.F16);
            System.err.printf("wrote %s: %,d parameters (F16)%n", out, c.parameterCount());
            return;
        }
        LlamaWeights w = random(c, seed);
        ModelWriter.write(w, vocab, Map.of("general.name", GgufValue.ofString("mixprune synthetic llama")), out, ModelFormat.GGUF, TensorDType.F32);
        System.err.printf("wrote %s: %,d parameters%n", out, c.parameterCount());
    }

    /**
     * Writes the same kind of random model block by block through the GGUF block sink (each block
     * generated when the writer reaches it), so a model larger than memory (7B) can be written;
     * {@code dtype} F16 or F32.
     */
    public static void writeStreaming(Path out, LlamaConfig c, Tokenizer vocab, long seed, TensorDType dtype) throws java.io.IOException {
        Map<String, Object> meta = Map.of("general.name", GgufValue.ofString("mixprune synthetic llama"));
        try (BlockSource src = new Source(c, vocab, meta, seed); BlockSink sink = BlockSink.open(src, out, ModelFormat.GGUF, dtype)) {
            for (int b = 0; b < c.nLayers(); b++) sink.accept(b, block(c, b, seed));
            sink.finish();
        }
    }

    /** The random model of {@link #random} generated on demand, rows and blocks alike. */
    private record Source(LlamaConfig config, Tokenizer vocab, Map<String, Object> metadata, long seed) implements BlockSource {
        @Override public Path path() { return Path.of("(synthetic)"); }
        @Override public ModelFormat format() { return ModelFormat.GGUF; }
        @Override public Optional<Tokenizer> tokenizer() { return Optional.of(vocab); }
        @Override public String weightType() { return "F32"; }
        @Override public BlockWeights block(int b) { return SyntheticLlama.block(config, b, seed); }
        @Override public float[] embeddingRows(int first, int count) { return uniformRows(first, count, config.dim(), 1.0, seed); }
        @Override public float[] classifierRows(int first, int count) { return uniformRows(first, count, config.dim(), 1.0 / config.dim(), seed + 1); }
        @Override public float[] finalNorm() { return ones(config.dim()); }
        @Override public void close() { }
    }

    public static LlamaWeights random(LlamaConfig c, long seed) {
        Matrix emb = uniform(c.vocabSize(), c.dim(), 1.0, seed);
        Matrix cls = uniform(c.vocabSize(), c.dim(), 1.0 / c.dim(), seed + 1);
        List<BlockWeights> blocks = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) blocks.add(block(c, l, seed));
        return new LlamaWeights(c, emb, blocks, ones(c.dim()), cls);
    }

    /** Block {@code l} of the random model: unit norm gains, linears of variance 1 / in_features. */
    static BlockWeights block(LlamaConfig c, int l, long seed) {
        EnumMap<LayerKind, Matrix> lin = new EnumMap<>(LayerKind.class);
        for (LayerKind k : LayerKind.values()) lin.put(k, uniform(c.rowsOf(k), c.colsOf(k), 1.0 / c.colsOf(k), seed * 1000 + l * 10L + k.ordinal() + 2));
        return new BlockWeights(ones(c.dim()), ones(c.dim()), lin);
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    /** Uniform values of the given variance; rows filled in parallel, each row from its own split seed (deterministic). */
    static Matrix uniform(int rows, int cols, double variance, long seed) {
        return new Matrix(rows, cols, uniformRows(0, rows, cols, variance, seed));
    }

    /** Rows [first, first + count) of {@link #uniform}'s matrix (each row depends only on its index). */
    static float[] uniformRows(int first, int count, int cols, double variance, long seed) {
        float[] d = new float[Math.multiplyExact(count, cols)];
        float a = (float) Math.sqrt(3 * variance);
        ThreadTeam.shared().forRange(0, count, 64, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + first + i);
                for (int j = i * cols; j < (i + 1) * cols; j++) d[j] = a * (2 * (float) rnd.nextDouble() - 1);
            }
        });
        return d;
    }
}
