package dev.mixprune.model.backward;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.RopeScaling;
import dev.mixprune.tensor.Matrix;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Random;

/** Small random LLaMA models with awkward sizes for gradient checks. */
public final class TestModels {
    private TestModels() {}

    /** GQA with 3 query heads per kv head, shared classifier, odd hidden and vocab sizes. */
    public static LlamaConfig sharedGqa() {
        return new LlamaConfig(18, 29, 2, 3, 1, 23, 16, 1e-5f, 10000f, true);
    }

    /** GQA with 2 query heads per kv head, unshared classifier. */
    public static LlamaConfig unsharedGqa() {
        return new LlamaConfig(16, 21, 2, 4, 2, 19, 16, 1e-5f, 10000f, false);
    }

    /** Plain multi-head attention (no GQA), one block, shared classifier. */
    public static LlamaConfig multiHead() {
        return new LlamaConfig(8, 11, 1, 2, 2, 13, 16, 1e-5f, 10000f, true);
    }

    /**
     * Qwen2-like: q/k/v biases, tied embeddings, rope_theta 1e6, GQA with 2 query heads per kv head.
     */
    public static LlamaConfig qwenLike() {
        return new LlamaConfig("qwen2", 16, 21, 2, 4, 2, 4, 19, 16, 1e-6f, 1e6f, RopeScaling.NONE,
                java.util.EnumSet.of(LayerKind.WQ, LayerKind.WK, LayerKind.WV), true);
    }

    /**
     * Llama-3-like: explicit head_dim (3 heads of 8 = 24 wide q on a 16-wide model), llama3 RoPE
     * scaling whose bands cover every case at head size 8 (theta 500000, original context 64:
     * frequency 0 unscaled, 1 smoothed, 2-3 divided by the factor), tied embeddings.
     */
    public static LlamaConfig llama3Like() {
        return new LlamaConfig("llama", 16, 21, 2, 3, 1, 8, 19, 16, 1e-5f, 500000f, new RopeScaling.Llama3(8, 1, 4, 64), java.util.Set.of(), true);
    }

    /** Every linear with a bias (llama attention_bias + mlp_bias), linear RoPE scaling, unshared classifier. */
    public static LlamaConfig allBiasesLinearRope() {
        return new LlamaConfig("llama", 12, 17, 1, 2, 2, 6, 13, 16, 1e-5f, 10000f, new RopeScaling.Linear(4),
                java.util.EnumSet.allOf(LayerKind.class), false);
    }

    public static LlamaWeights random(LlamaConfig c, long seed) {
        Random rnd = new Random(seed);
        Matrix emb = gaussian(c.vocabSize(), c.dim(), 1.0, rnd);
        List<BlockWeights> blocks = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            EnumMap<LayerKind, Matrix> m = new EnumMap<>(LayerKind.class);
            for (LayerKind k : LayerKind.values()) {
                m.put(k, gaussian(c.rowsOf(k), c.colsOf(k), 1.5 / Math.sqrt(c.colsOf(k)), rnd));
            }
            EnumMap<LayerKind, float[]> bias = new EnumMap<>(LayerKind.class);
            for (LayerKind k : c.biases()) {
                float[] b = new float[c.rowsOf(k)];
                for (int i = 0; i < b.length; i++) b[i] = (float) (0.5 * rnd.nextGaussian());
                bias.put(k, b);
            }
            blocks.add(new BlockWeights(gains(c.dim(), rnd), gains(c.dim(), rnd), m, bias, l));
        }
        Matrix cls = c.sharedClassifier() ? emb : gaussian(c.vocabSize(), c.dim(), 0.5, rnd);
        return new LlamaWeights(c, emb, blocks, gains(c.dim(), rnd), cls);
    }

    /**
     * A copy of {@code w} with about {@code fraction} of every linear's entries set to zero (chosen at
     * random) and its norm gains perturbed: a "pruned student" of {@code w} for distillation tests.
     */
    public static LlamaWeights prunedCopy(LlamaWeights w, double fraction, long seed) {
        Random rnd = new Random(seed);
        LlamaWeights s = w.copy();
        for (BlockWeights b : s.blocks()) {
            for (LayerKind k : LayerKind.values()) {
                float[] d = b.linear(k).data();
                for (int i = 0; i < d.length; i++) if (rnd.nextDouble() < fraction) d[i] = 0f;
            }
            for (int i = 0; i < b.attNorm().length; i++) {
                b.attNorm()[i] *= (float) (1 + 0.1 * rnd.nextGaussian());
                b.ffnNorm()[i] *= (float) (1 + 0.1 * rnd.nextGaussian());
            }
        }
        return s;
    }

    public static int[] tokens(LlamaConfig c, int n, long seed) {
        Random rnd = new Random(seed);
        int[] t = new int[n];
        // a repeated token exercises the embedding scatter-add and the tied classifier
        for (int i = 0; i < n; i++) t[i] = i % 4 == 3 ? t[i - 2] : rnd.nextInt(c.vocabSize());
        return t;
    }

    private static Matrix gaussian(int rows, int cols, double std, Random rnd) {
        Matrix m = new Matrix(rows, cols);
        for (int i = 0; i < m.size(); i++) m.data()[i] = (float) (rnd.nextGaussian() * std);
        return m;
    }

    private static float[] gains(int n, Random rnd) {
        float[] g = new float[n];
        for (int i = 0; i < n; i++) g[i] = (float) (1.0 + 0.3 * rnd.nextGaussian());
        return g;
    }
}
