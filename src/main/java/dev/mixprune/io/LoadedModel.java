package dev.mixprune.io;

import dev.mixprune.model.LlamaWeights;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A model as read from disk: weights, its tokenizer when one was found, and the format's own
 * metadata (GGUF key/values, HF config) so that a writer can keep it.
 */
public record LoadedModel(Path path, ModelFormat format, LlamaWeights weights, Optional<Tokenizer> tokenizer,
                          Map<String, Object> metadata) {
    public LoadedModel {
        metadata = Map.copyOf(metadata);
    }

    public Tokenizer requireTokenizer() {
        return tokenizer.orElseThrow(() -> new dev.mixprune.BadInputException(path + ": no tokenizer found (pass --tokenizer)"));
    }
}
