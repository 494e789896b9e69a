package dev.mixprune.allocate;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Random;

/** Random small models for tests. */
final class TinyModels {
    private TinyModels() {}

    static Matrix random(int rows, int cols, Random r) {
        Matrix m = new Matrix(rows, cols);
        for (int i = 0; i < m.size(); i++) m.data()[i] = (float) r.nextGaussian();
        return m;
    }

    static LlamaWeights random(LlamaConfig c, long seed) {
        Random r = new Random(seed);
        List<BlockWeights> blocks = new ArrayList<>();
        for (int b = 0; b < c.nLayers(); b++) {
            EnumMap<LayerKind, Matrix> m = new EnumMap<>(LayerKind.class);
            for (LayerKind k : LayerKind.values()) m.put(k, random(c.rowsOf(k), c.colsOf(k), r));
            float[] n1 = new float[c.dim()], n2 = new float[c.dim()];
            java.util.Arrays.fill(n1, 1f);
            java.util.Arrays.fill(n2, 1f);
            blocks.add(new BlockWeights(n1, n2, m));
        }
        float[] fn = new float[c.dim()];
        java.util.Arrays.fill(fn, 1f);
        return new LlamaWeights(c, random(c.vocabSize(), c.dim(), r), blocks, fn, null);
    }
}
