package dev.mixprune.bench;

import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.TensorDType;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a synthetic llama2.c {@code .bin} of a given shape with random weights, for the pruning
 * memory benchmark ({@code scripts/bench-prune-memory.sh}). Every block refers to the SAME random
 * arrays, so this writer holds one block in memory whatever the depth; the file still has
 * nLayers full copies, and a reader gets independent arrays per block.
 *
 * <p>Arguments: {@code --dim 4096 --hidden 11008 --layers 8 --heads 32 --vocab 512 --seqlen 2048
 * --seed 1 --out FILE.bin}. Vocabulary 512 matches {@code tok512.bin}, so the shared calibration
 * text tokenizes.
 */
public final class SyntheticModel {
    private SyntheticModel() {}

    public static void main(String[] args) throws IOException {
        int dim = 4096, hidden = 11008, layers = 8, heads = 32, vocab = 512, seqLen = 2048;
        long seed = 1;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dim" -> dim = Integer.parseInt(args[++i]);
                case "--hidden" -> hidden = Integer.parseInt(args[++i]);
                case "--layers" -> layers = Integer.parseInt(args[++i]);
                case "--heads" -> heads = Integer.parseInt(args[++i]);
                case "--vocab" -> vocab = Integer.parseInt(args[++i]);
                case "--seqlen" -> seqLen = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (out == null) throw new IllegalArgumentException("--out FILE.bin is required");
        LlamaConfig c = new LlamaConfig(dim, hidden, layers, heads, heads, vocab, seqLen, 1e-5f, 10000f, true);
        LlamaWeights one = PruneBench.model(new LlamaConfig(dim, hidden, 1, heads, heads, vocab, seqLen, 1e-5f, 10000f, true), seed);
        List<BlockWeights> blocks = new ArrayList<>();
        for (int b = 0; b < layers; b++) blocks.add(one.block(0));
        ModelWriter.write(new LlamaWeights(c, one.tokenEmbedding(), blocks, one.finalNorm(), null), null, null, out, ModelFormat.BIN, TensorDType.F32);
        System.out.printf("wrote %s: %s, %,d parameters (%.2f GiB float32)%n", out, c, c.parameterCount(), c.parameterCount() * 4.0 / (1L << 30));
    }
}
