package dev.mixprune.io;

import dev.mixprune.BadInputException;
import dev.mixprune.model.LlamaWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Opens a model in any supported format, with its tokenizer when it can be found. */
public final class ModelLoader {
    private ModelLoader() {}

    /** @param tokenizerPath explicit tokenizer (may be null: then looked up beside a .bin, or inside GGUF/HF) */
    public static LoadedModel load(Path path, Path tokenizerPath) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString());
        ModelFormat f = ModelFormat.detect(path);
        return switch (f) {
            case BIN -> loadBin(path, tokenizerPath);
            case GGUF, SAFETENSORS -> throw new BadInputException(path + ": format " + f + " is not supported yet");
        };
    }

    private static LoadedModel loadBin(Path path, Path tokenizerPath) throws IOException {
        LlamaWeights w = Llama2cBin.read(path);
        Path tok = tokenizerPath;
        if (tok == null) {
            Path dir = path.toAbsolutePath().getParent();
            for (String n : new String[]{"tok512.bin", "tokenizer.bin"}) {
                Path cand = dir.resolve(n);
                if (Files.exists(cand)) { tok = cand; break; }
            }
        }
        Optional<Tokenizer> t = Optional.empty();
        if (tok != null) t = Optional.of(new Tokenizer(TokenizerBin.read(tok, w.config().vocabSize())));
        return new LoadedModel(path, ModelFormat.BIN, w, t, Map.of());
    }
}
