package dev.mixprune.model.backward;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
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

    public static LlamaWeights random(LlamaConfig c, long seed) {
        Random rnd = new Random(seed);
        Matrix emb = gaussian(c.vocabSize(), c.dim(), 1.0, rnd);
        List<BlockWeights> blocks = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            EnumMap<LayerKind, Matrix> m = new EnumMap<>(LayerKind.class);
            for (LayerKind k : LayerKind.values()) {
                m.put(k, gaussian(c.rowsOf(k), c.colsOf(k), 1.5 / Math.sqrt(c.colsOf(k)), rnd));
            }
            blocks.add(new BlockWeights(gains(c.dim(), rnd), gains(c.dim(), rnd), m));
        }
        Matrix cls = c.sharedClassifier() ? emb : gaussian(c.vocabSize(), c.dim(), 0.5, rnd);
        return new LlamaWeights(c, emb, blocks, gains(c.dim(), rnd), cls);
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
