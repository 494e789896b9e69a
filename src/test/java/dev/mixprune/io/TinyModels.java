package dev.mixprune.io;

import dev.mixprune.tokenizer.Vocabulary;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/** Random tiny models (awkward sizes, GQA, shared or separate classifier) for format tests. */
final class TinyModels {
    private TinyModels() {}

    static LlamaConfig awkward(boolean shared) {
        // dim 36 = 6 heads x 6, 2 kv heads, hidden 50, vocab 300 (> 259 so byte pieces fit), 3 layers.
        return new LlamaConfig(36, 50, 3, 6, 2, 300, 40, 1e-5f, 10000f, shared);
    }

    static LlamaWeights random(LlamaConfig c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Matrix emb = m(r, c.vocabSize(), c.dim());
        List<BlockWeights> blocks = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            EnumMap<LayerKind, Matrix> lin = new EnumMap<>(LayerKind.class);
            for (LayerKind k : LayerKind.values()) lin.put(k, m(r, c.rowsOf(k), c.colsOf(k)));
            blocks.add(new BlockWeights(v(r, c.dim()), v(r, c.dim()), lin));
        }
        return new LlamaWeights(c, emb, blocks, v(r, c.dim()), c.sharedClassifier() ? null : m(r, c.vocabSize(), c.dim()));
    }

    private static Matrix m(SplittableRandom r, int rows, int cols) { return new Matrix(rows, cols, v(r, rows * cols)); }

    private static float[] v(SplittableRandom r, int n) {
        float[] a = new float[n];
        // Full float32 mantissas and a wide exponent range, so any lossy step shows; some exact zeros (pruned weights).
        for (int i = 0; i < n; i++) a[i] = r.nextInt(10) == 0 ? 0f : (float) (r.nextGaussian() * Math.pow(2, r.nextInt(-6, 3)));
        return a;
    }

    /** {@link #vocabulary} with llama2.c's special tokens. */
    static dev.mixprune.tokenizer.Tokenizer tokenizer(int size, long seed) {
        return dev.mixprune.tokenizer.SentencePieceTokenizer.llama2c(vocabulary(size, seed));
    }

    /** A llama2.c-style vocabulary: unk, BOS, EOS, 256 byte pieces, then random merged pieces with scores. */
    static Vocabulary vocabulary(int size, long seed) {
        Random r = new Random(seed);
        List<byte[]> p = new ArrayList<>();
        p.add("<unk>".getBytes());
        p.add("\n<s>\n".getBytes());
        p.add("\n</s>\n".getBytes());
        for (int b = 0; b < 256; b++) p.add(String.format("<0x%02X>", b).getBytes());
        String alpha = "abcdefgh é中";
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (p.size() < size) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + r.nextInt(4);
            for (int i = 0; i < len; i++) sb.append(alpha.charAt(r.nextInt(alpha.length())));
            if (seen.add(sb.toString())) p.add(sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        float[] s = new float[size];
        for (int i = 259; i < size; i++) s[i] = -(i - 259) - r.nextFloat();
        int max = 0;
        for (byte[] b : p) max = Math.max(max, b.length);
        return new Vocabulary(p, s, max);
    }
}
