package dev.mixprune.io;

import dev.mixprune.BadInputException;
import dev.mixprune.tokenizer.AddedToken;
import dev.mixprune.tokenizer.HfSpecialTokens;
import dev.mixprune.tokenizer.HfTokenizerJson;
import dev.mixprune.tokenizer.SentencePieceTokenizer;
import dev.mixprune.tokenizer.SpecialTokens;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.tokenizer.Vocabulary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where tokenizers live and how each file is read (docs/formats.md "Tokenizer lookup"):
 * {@code tokenizer.bin} (llama2.c), {@code tokenizer.model} (SentencePiece), {@code tokenizer.json}
 * (Hugging Face: byte-level or SentencePiece-style BPE), the {@code tokenizer.ggml.*} keys of a
 * {@code .gguf}; special tokens from the files beside them (tokenizer_config.json,
 * generation_config.json, config.json).
 *
 * <p>Size rule: a SentencePiece vocabulary has exactly one piece per embedding row; a byte-level
 * tokenizer may have fewer ids than rows (Qwen's embedding has unused padding rows), never more.
 */
public final class TokenizerFiles {
    public static final String SENTENCEPIECE = "tokenizer.model", HF_JSON = "tokenizer.json";

    private TokenizerFiles() {}

    /**
     * Reads a tokenizer file by its name: {@code *.gguf}, {@code *.model}, {@code *.json}, anything
     * else as llama2.c's tokenizer.bin.
     *
     * @param modelVocab the model's embedding rows (size rule above); -1 when there is no model
     */
    public static Tokenizer read(Path file, int modelVocab) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        Tokenizer t;
        if (n.endsWith(".gguf")) {
            try (GgufFile g = GgufFile.open(file)) {
                t = GgufVocabulary.read(g, -1).orElseThrow(() -> BadInputException.in(file, "has no tokenizer (no metadata key tokenizer.ggml.model)"));
            }
        } else if (n.endsWith(".model")) {
            t = sentencePieceModel(file);
        } else if (n.endsWith(".json")) {
            t = HfTokenizerJson.read(file);
        } else {
            t = SentencePieceTokenizer.llama2c(modelVocab >= 0 ? TokenizerBin.read(file, modelVocab) : TokenizerBin.readAll(file));
        }
        return checked(file, t, modelVocab);
    }

    /** The tokenizer of a Hugging Face directory: tokenizer.model, else tokenizer.json; empty when it has neither. */
    public static Optional<Tokenizer> inHfDirectory(Path dir, int modelVocab) throws IOException {
        for (String name : new String[]{SENTENCEPIECE, HF_JSON}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return Optional.of(read(p, modelVocab));
        }
        return Optional.empty();
    }

    /** llama2.c's tokenizer beside a model: tok512.bin, else tokenizer.bin. */
    public static Optional<Path> besideBin(Path model) {
        Path dir = model.toAbsolutePath().getParent();
        for (String n : new String[]{"tok512.bin", "tokenizer.bin"}) {
            Path cand = dir.resolve(n);
            if (Files.exists(cand)) return Optional.of(cand);
        }
        return Optional.empty();
    }

    /**
     * The tokenizer for {@code path} wherever it is (the {@code tokenize} command): a tokenizer
     * file, an HF directory (with or without weights), a GGUF (its own vocabulary), a llama2.c model
     * ({@code explicit}, else the tokenizer.bin beside it). A {@code .bin} whose name starts with
     * "tok" is a tokenizer.bin, any other {@code .bin} a model.
     */
    public static Tokenizer locate(Path path, Path explicit) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString());
        if (explicit != null) return read(explicit, vocabSizeOf(path));
        String n = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (Files.isDirectory(path) || n.endsWith(".safetensors")) {
            Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
            return inHfDirectory(dir, -1).orElseThrow(() -> BadInputException.in(dir, "no tokenizer.model or tokenizer.json in this directory"));
        }
        if (n.endsWith(".bin") && !n.startsWith("tok")) {
            int vocab = Llama2cBin.readConfig(path).vocabSize();
            Path tok = besideBin(path).orElseThrow(() -> BadInputException.in(path, "no tokenizer beside this llama2.c model (tok512.bin or tokenizer.bin); pass --tokenizer"));
            return read(tok, vocab);
        }
        return read(path, -1);
    }

    /** The embedding rows of a model path when it is a llama2.c model (for checking an explicit tokenizer), else -1. */
    private static int vocabSizeOf(Path model) throws IOException {
        String n = model.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".bin") && !n.startsWith("tok") ? Llama2cBin.readConfig(model).vocabSize() : -1;
    }

    /** tokenizer.model with its special ids: the files beside it (tokenizer_config.json ...), else its trainer_spec. */
    private static Tokenizer sentencePieceModel(Path file) throws IOException {
        SentencePieceModel m = SentencePieceModel.read(file);
        Vocabulary v = m.toVocabulary();
        SpecialTokens spec = m.trainerSpecialTokens(file);
        List<AddedToken> control = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        for (int i = v.size() - 1; i >= 0; i--) {
            ids.put(v.sentencePiece(i), i);
            if (v.tokenType(i) == Vocabulary.TYPE_CONTROL) control.add(AddedToken.plain(i, v.sentencePiece(i), true));
        }
        SpecialTokens s = HfSpecialTokens.resolve(file.toAbsolutePath().getParent(), null, t -> ids.getOrDefault(t, -1), control,
                new HfSpecialTokens.Defaults(spec.bos(), spec.eos(), spec.unk(), spec.pad(), true));
        return new SentencePieceTokenizer(v, s);
    }

    private static Tokenizer checked(Path file, Tokenizer t, int modelVocab) {
        if (modelVocab < 0) return t;
        boolean ok = t.kind() == Tokenizer.Kind.SENTENCEPIECE_BPE ? t.size() == modelVocab : t.size() <= modelVocab;
        if (!ok) {
            throw BadInputException.in(file, "tokenizer has " + t.size() + " pieces but the model's vocabulary has " + modelVocab
                    + " (tokenizer/model vocabulary mismatch)");
        }
        return t;
    }
}
