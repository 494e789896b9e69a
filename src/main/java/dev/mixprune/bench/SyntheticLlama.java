package dev.mixprune.bench;

import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.io.GgufLlama;
import dev.mixprune.io.TokenizerFiles;
import dev.mixprune.io.TensorDType;

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
import java.util.SplittableRandom;

/**
 * Writes a synthetic LLaMA of realistic shape as an F32 GGUF that llama.cpp loads: random weights
 * (uniform, variance 1/in_features so activations stay of order one), unit norm gains, a separate
 * classifier, and the SentencePiece vocabulary of another GGUF (its size sets the vocabulary).
 * Usage: {@code SyntheticLlama OUT.gguf VOCAB.gguf [dim hidden layers heads] [seed]}, default
 * 2048 5632 16 32, seed 1.
 */
public final class SyntheticLlama {
    private SyntheticLlama() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]), vocabFrom = Path.of(args[1]);
        int dim = args.length > 2 ? Integer.parseInt(args[2]) : 2048, hidden = args.length > 3 ? Integer.parseInt(args[3]) : 5632;
        int layers = args.length > 4 ? Integer.parseInt(args[4]) : 16, heads = args.length > 5 ? Integer.parseInt(args[5]) : 32;
        long seed = args.length > 6 ? Long.parseLong(args[6]) : 1;
        Tokenizer vocab = TokenizerFiles.read(vocabFrom, 32000);
        LlamaConfig c = new LlamaConfig(dim, hidden, layers, heads, heads, vocab.size(), 2048, 1e-5f, 10000f, false);
        LlamaWeights w = random(c, seed);
        GgufLlama.write(out, w, vocab, Map.of("general.name", dev.mixprune.io.GgufValue.ofString("mixprune synthetic llama")), TensorDType.F32);
        System.err.printf("wrote %s: %,d parameters%n", out, c.parameterCount());
    }

    /**
     * Writes the same kind of random model tensor by tensor (each generated when the writer reaches
     * it), so a model larger than memory (7B) can be written; {@code dtype} F16 or F32.
     */
    public static void writeStreaming(Path out, LlamaConfig c, Tokenizer vocab, long seed, TensorDType dtype) throws java.io.IOException {
        dev.mixprune.io.GgmlType ft = dtype == TensorDType.F32 ? dev.mixprune.io.GgmlType.F32 : dev.mixprune.io.GgmlType.F16;
        List<dev.mixprune.io.GgufTensorWriter.Entry> t = new ArrayList<>();
        t.add(lazy("token_embd.weight", c.vocabSize(), c.dim(), 1.0, seed, ft));
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "blk." + l + ".";
            t.add(new dev.mixprune.io.GgufTensorWriter.Floats(p + "attn_norm.weight", new long[]{c.dim()}, dev.mixprune.io.GgmlType.F32, ones(c.dim())));
            for (LayerKind k : new LayerKind[]{LayerKind.WQ, LayerKind.WK, LayerKind.WV, LayerKind.WO}) {
                t.add(lazy(dev.mixprune.sparse.PackedGguf.weightName(l, k), c.rowsOf(k), c.colsOf(k), 1.0 / c.colsOf(k), seed * 1000 + l * 10L + k.ordinal() + 2, ft));
            }
            t.add(new dev.mixprune.io.GgufTensorWriter.Floats(p + "ffn_norm.weight", new long[]{c.dim()}, dev.mixprune.io.GgmlType.F32, ones(c.dim())));
            for (LayerKind k : new LayerKind[]{LayerKind.W1, LayerKind.W2, LayerKind.W3}) {
                t.add(lazy(dev.mixprune.sparse.PackedGguf.weightName(l, k), c.rowsOf(k), c.colsOf(k), 1.0 / c.colsOf(k), seed * 1000 + l * 10L + k.ordinal() + 2, ft));
            }
        }
        t.add(new dev.mixprune.io.GgufTensorWriter.Floats("output_norm.weight", new long[]{c.dim()}, dev.mixprune.io.GgmlType.F32, ones(c.dim())));
        t.add(lazy("output.weight", c.vocabSize(), c.dim(), 1.0 / c.dim(), seed + 1, ft));
        dev.mixprune.io.GgufTensorWriter.write(out, GgufLlama.metadataFor(c, vocab, Map.of("general.name",
                dev.mixprune.io.GgufValue.ofString("mixprune synthetic llama")), dtype), t);
    }

    private static dev.mixprune.io.GgufTensorWriter.Entry lazy(String name, int rows, int cols, double variance, long seed, dev.mixprune.io.GgmlType ft) {
        return new dev.mixprune.io.GgufTensorWriter.LazyFloats(name, new long[]{cols, rows}, ft, () -> uniform(rows, cols, variance, seed).data());
    }

    public static LlamaWeights random(LlamaConfig c, long seed) {
        Matrix emb = uniform(c.vocabSize(), c.dim(), 1.0, seed);
        Matrix cls = uniform(c.vocabSize(), c.dim(), 1.0 / c.dim(), seed + 1);
        List<BlockWeights> blocks = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            EnumMap<LayerKind, Matrix> lin = new EnumMap<>(LayerKind.class);
            for (LayerKind k : LayerKind.values()) lin.put(k, uniform(c.rowsOf(k), c.colsOf(k), 1.0 / c.colsOf(k), seed * 1000 + l * 10L + k.ordinal() + 2));
            blocks.add(new BlockWeights(ones(c.dim()), ones(c.dim()), lin));
        }
        return new LlamaWeights(c, emb, blocks, ones(c.dim()), cls);
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    /** Uniform values of the given variance; rows filled in parallel, each row from its own split seed (deterministic). */
    static Matrix uniform(int rows, int cols, double variance, long seed) {
        Matrix m = new Matrix(rows, cols);
        float a = (float) Math.sqrt(3 * variance);
        float[] d = m.data();
        ThreadTeam.shared().forRange(0, rows, 64, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + r);
                for (int i = r * cols; i < (r + 1) * cols; i++) d[i] = a * (2 * (float) rnd.nextDouble() - 1);
            }
        });
        return m;
    }
}
