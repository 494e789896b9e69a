package dev.mixprune.io;

import dev.mixprune.BadInputException;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Opens a model in any supported format, with its tokenizer when it can be found. */
public final class ModelLoader {
    private ModelLoader() {}

    /**
     * @param path          a llama2.c .bin, a .gguf, or an HF directory (or a .safetensors file inside one)
     * @param tokenizerPath explicit tokenizer (tokenizer.bin, tokenizer.model, tokenizer.json or a .gguf; may be
     *                      null: then tok512.bin / tokenizer.bin beside a .bin, the vocabulary inside
     *                      a GGUF, tokenizer.model (else tokenizer.json) inside an HF directory)
     */
    public static LoadedModel load(Path path, Path tokenizerPath) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString());
        if (tokenizerPath != null && !Files.exists(tokenizerPath)) throw new NoSuchFileException(tokenizerPath.toString());
        ModelFormat f = ModelFormat.detect(path);
        return switch (f) {
            case BIN -> loadBin(path, tokenizerPath);
            case GGUF -> loadGguf(path, tokenizerPath);
            case SAFETENSORS -> loadHf(Files.isDirectory(path) ? path : path.toAbsolutePath().getParent(), tokenizerPath);
        };
    }

    /** The given tokenizer, else tok512.bin or tokenizer.bin beside a llama2.c model, else null. */
    static Path binTokenizer(Path model, Path given) {
        return given != null ? given : TokenizerFiles.besideBin(model).orElse(null);
    }

    private static LoadedModel loadBin(Path path, Path tokenizerPath) throws IOException {
        LlamaWeights w = Llama2cBin.read(path);
        Path tok = binTokenizer(path, tokenizerPath);
        Optional<Tokenizer> t = Optional.empty();
        if (tok != null) t = Optional.of(TokenizerFiles.read(tok, w.config().vocabSize()));
        return new LoadedModel(path, ModelFormat.BIN, w, t, Map.of());
    }

    private static LoadedModel loadGguf(Path path, Path tokenizerPath) throws IOException {
        try (GgufFile f = GgufFile.open(path)) {
            // A packed GGUF (docs/formats.md "Packed N:M") holds value/index tensor pairs instead of some weights.
            LlamaWeights w = dev.mixprune.sparse.PackedGguf.isPacked(f) ? dev.mixprune.sparse.PackedGguf.weights(f) : GgufLlama.weights(f);
            Optional<Tokenizer> t = tokenizerPath != null ? Optional.of(TokenizerFiles.read(tokenizerPath, w.config().vocabSize()))
                    : GgufVocabulary.read(f, w.config().vocabSize());
            return new LoadedModel(path, ModelFormat.GGUF, w, t, new LinkedHashMap<>(f.metadata()));
        }
    }

    private static LoadedModel loadHf(Path dir, Path tokenizerPath) throws IOException {
        LlamaWeights w = HfLlama.read(dir);
        Map<String, Object> cfg = HfLlama.readConfigJson(dir);
        Optional<Tokenizer> t = tokenizerPath != null ? Optional.of(TokenizerFiles.read(tokenizerPath, w.config().vocabSize()))
                : TokenizerFiles.inHfDirectory(dir, w.config().vocabSize());
        return new LoadedModel(dir, ModelFormat.SAFETENSORS, w, t, cfg);
    }
}
