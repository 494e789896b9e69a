package dev.mixprune.io;

import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A model as read from disk: weights, its tokenizer when one was found, and the format's own
 * metadata so that a writer can keep it: for GGUF every key/value as a {@link GgufValue} (file
 * order), for an HF directory the config.json entries (plain JSON values), for .bin nothing.
 */
public record LoadedModel(Path path, ModelFormat format, LlamaWeights weights, Optional<Tokenizer> tokenizer,
                          Map<String, Object> metadata) {
    public LoadedModel {
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    public Tokenizer requireTokenizer() {
        return tokenizer.orElseThrow(() -> new dev.mixprune.BadInputException(path + ": no tokenizer found (pass --tokenizer)"));
    }

    /** The tokenizer, or null when none was found. */
    public Tokenizer tokenizerOrNull() { return tokenizer.orElse(null); }
}
