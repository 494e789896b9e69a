package dev.mixprune.model;

import dev.mixprune.tensor.Matrix;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Random;

/** Random LLaMA weights for tests (seeded, scaled so activations stay O(1)). */
public final class RandomModels {
    private RandomModels() {}

    public static LlamaWeights random(LlamaConfig c, long seed) {
        Random r = new Random(seed);
        Matrix emb = randomMatrix(r, c.vocabSize(), c.dim(), 1.0f);
        List<BlockWeights> blocks = new ArrayList<>();
        for (int b = 0; b < c.nLayers(); b++) {
            EnumMap<LayerKind, Matrix> m = new EnumMap<>(LayerKind.class);
            for (LayerKind k : LayerKind.values()) {
                m.put(k, randomMatrix(r, c.rowsOf(k), c.colsOf(k), (float) (1.0 / Math.sqrt(c.colsOf(k)))));
            }
            blocks.add(new BlockWeights(gains(r, c.dim()), gains(r, c.dim()), m));
        }
        Matrix cls = c.sharedClassifier() ? emb : randomMatrix(r, c.vocabSize(), c.dim(), 1.0f);
        return new LlamaWeights(c, emb, blocks, gains(r, c.dim()), cls);
    }

    static Matrix randomMatrix(Random r, int rows, int cols, float scale) {
        Matrix m = new Matrix(rows, cols);
        for (int i = 0; i < m.size(); i++) m.data()[i] = (float) (r.nextGaussian() * scale);
        return m;
    }

    static float[] gains(Random r, int n) {
        float[] g = new float[n];
        for (int i = 0; i < n; i++) g[i] = 0.5f + r.nextFloat();
        return g;
    }

    public static int[] randomTokens(Random r, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }
}
