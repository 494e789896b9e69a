package dev.mixprune.io;

import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.model.LlamaWeights;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a whole in-memory model in any supported format, keeping the metadata it was loaded with
 * where the format can hold it. There is one writer per format, the {@link BlockSink}: this feeds
 * it the model's blocks, so a model written whole and one written while streaming are the same bytes.
 */
public final class ModelWriter {
    private ModelWriter() {}

    /**
     * @param tokenizer written with the model (GGUF: tokenizer.ggml.*; HF: HfTokenizerFiles; .bin:
     *                 tokenizer.bin beside the file), or null for none
     * @param metadata from {@link LoadedModel#metadata()}: {@link GgufValue} entries are passed
     *                 through to GGUF, the others (config.json keys) to an HF config.json; may be null
     * @param out      the .bin / .gguf file, or the HF directory
     */
    public static void write(LlamaWeights weights, Tokenizer tokenizer, Map<String, Object> metadata, Path out, ModelFormat format, TensorDType dtype)
            throws IOException {
        write(WeightsBlockSource.of(weights, tokenizer, metadata), out, format, dtype);
    }

    /**
     * A loaded model (possibly edited in place) with its vocabulary and metadata; an HF output also
     * gets the input directory's tokenizer and generation files ({@link HfModel#COPIED_FILES}).
     */
    public static void write(LoadedModel m, Path out, ModelFormat format, TensorDType dtype) throws IOException {
        write(new WeightsBlockSource(m), out, format, dtype);
    }

    /** {@code weights} (e.g. a pruned copy) in place of {@code from}'s own, with {@code from}'s tokenizer, metadata and files. */
    public static void write(LlamaWeights weights, LoadedModel from, Path out, ModelFormat format, TensorDType dtype) throws IOException {
        write(new LoadedModel(from.path(), from.format(), weights, from.tokenizer(), from.metadata()), out, format, dtype);
    }

    private static void write(WeightsBlockSource src, Path out, ModelFormat format, TensorDType dtype) throws IOException {
        try (BlockSink sink = BlockSink.open(src, out, format, dtype)) {
            for (int b = 0; b < src.config().nLayers(); b++) sink.accept(b, src.block(b));
            sink.finish();
        }
    }
}
