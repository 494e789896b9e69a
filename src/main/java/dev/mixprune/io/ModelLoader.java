package dev.mixprune.io;

import dev.mixprune.BadInputException;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.quant.Q8Matrix;
import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;

/**
 * Opens a model in any supported format, whole in memory, with its tokenizer when it can be found.
 * Built on {@link MappedBlockSource}, the one reader of every format: this reads all of its blocks.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /**
     * @param path          a llama2.c .bin, a .gguf (packed N:M too), or an HF directory (or a .safetensors file inside one)
     * @param tokenizerPath explicit tokenizer (tokenizer.bin, tokenizer.model, tokenizer.json or a .gguf; may be
     *                      null: then tok512.bin / tokenizer.bin beside a .bin, the vocabulary inside
     *                      a GGUF, tokenizer.model (else tokenizer.json) inside an HF directory)
     */
    public static LoadedModel load(Path path, Path tokenizerPath) throws IOException {
        try (MappedBlockSource s = MappedBlockSource.open(path, tokenizerPath)) {
            return new LoadedModel(s.path(), s.format(), weights(s), s.tokenizer(), s.metadata());
        }
    }

    /**
     * As {@link #load}, in the form inference runs fastest in: weights stored as Q8_0 stay in
     * their blocks ({@code quant.Q8Matrix}, a quarter of float32's bytes per decode step; the values
     * are exactly the dequantized ones), the classifier too (as {@link LlamaWeights#head()}).
     * For generate / ppl / eval; pruning needs {@link #load}'s float weights.
     */
    public static LoadedModel loadForInference(Path path, Path tokenizerPath) throws IOException {
        try (MappedBlockSource s = MappedBlockSource.open(path, tokenizerPath)) {
            LlamaConfig c = s.config();
            Matrix emb = new Matrix(c.vocabSize(), c.dim(), s.embeddingRows(0, c.vocabSize()));
            List<BlockWeights> blocks = new ArrayList<>(c.nLayers());
            for (int b = 0; b < c.nLayers(); b++) {
                EnumMap<LayerKind, LinearWeight> lin = new EnumMap<>(LayerKind.class);
                for (LayerKind k : LayerKind.values()) lin.put(k, s.readLinearKeepingQ8(b, k));
                blocks.add(new BlockWeights(s.attNorm(b), s.ffnNorm(b), lin, s.biases(b), b));
            }
            Matrix cls = c.sharedClassifier() ? emb : new Matrix(c.vocabSize(), c.dim(), s.classifierRows(0, c.vocabSize()));
            LlamaWeights w = new LlamaWeights(c, emb, blocks, s.finalNorm(), cls);
            Q8Matrix head = s.classifierQ8();
            return new LoadedModel(s.path(), s.format(), head != null ? w.withHead(head) : w, s.tokenizer(), s.metadata());
        }
    }

    /** The weights of a model file, without looking for a tokenizer. */
    public static LlamaWeights loadWeights(Path path) throws IOException {
        try (MappedBlockSource s = MappedBlockSource.openWeights(path)) {
            return weights(s);
        }
    }

    /** Every tensor of {@code s} in memory (a block source hands out fresh blocks; none is released back). */
    private static LlamaWeights weights(MappedBlockSource s) {
        LlamaConfig c = s.config();
        Matrix emb = new Matrix(c.vocabSize(), c.dim(), s.embeddingRows(0, c.vocabSize()));
        List<BlockWeights> blocks = new ArrayList<>(c.nLayers());
        for (int b = 0; b < c.nLayers(); b++) blocks.add(s.block(b));
        float[] norm = s.finalNorm();
        Matrix cls = c.sharedClassifier() ? emb : new Matrix(c.vocabSize(), c.dim(), s.classifierRows(0, c.vocabSize()));
        return new LlamaWeights(c, emb, blocks, norm, cls);
    }

    /** The given tokenizer, else tok512.bin or tokenizer.bin beside a llama2.c model, else null. */
    static Path binTokenizer(Path model, Path given) {
        return given != null ? given : TokenizerFiles.besideBin(model).orElse(null);
    }
}
