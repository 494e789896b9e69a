package dev.mixprune.io;

import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.model.LlamaWeights;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes a model in any supported format, keeping the metadata it was loaded with where the format can hold it. */
public final class ModelWriter {
    private ModelWriter() {}

    /**
     * @param vocab    written with the model (GGUF: tokenizer.ggml.*; HF: tokenizer.model; .bin:
     *                 tokenizer.bin beside the file), or null for none
     * @param metadata from {@link LoadedModel#metadata()}: {@link GgufValue} entries are passed
     *                 through to GGUF, the others (config.json keys) to an HF config.json; may be null
     * @param out      the .bin / .gguf file, or the HF directory
     */
    public static void write(LlamaWeights weights, Tokenizer tokenizer, Map<String, Object> metadata, Path out, ModelFormat format, TensorDType dtype)
            throws IOException {
        Map<String, GgufValue> gguf = new LinkedHashMap<>();
        Map<String, Object> hf = new LinkedHashMap<>();
        if (metadata != null) {
            metadata.forEach((k, v) -> {
                if (v instanceof GgufValue g) gguf.put(k, g);
                else hf.put(k, v);
            });
        }
        switch (format) {
            case BIN -> {
                if (dtype != TensorDType.F32) throw new IllegalArgumentException("llama2.c .bin holds float32 only, not " + dtype);
                Llama2cBin.write(weights, out);
                if (tokenizer != null) TokenizerBin.write(tokenizer, out.toAbsolutePath().resolveSibling("tokenizer.bin"));
            }
            case GGUF -> GgufLlama.write(out, weights, tokenizer, gguf, dtype);
            case SAFETENSORS -> HfLlama.write(out, weights, tokenizer, hf, dtype);
        }
    }
}
