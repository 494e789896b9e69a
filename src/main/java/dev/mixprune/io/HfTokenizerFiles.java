package dev.mixprune.io;

import dev.mixprune.tokenizer.ByteLevelBpeTokenizer;
import dev.mixprune.tokenizer.HfTokenizerWriter;
import dev.mixprune.tokenizer.SentencePieceTokenizer;
import dev.mixprune.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A tokenizer written into a Hugging Face directory: tokenizer.model for SentencePiece;
 * tokenizer.json + tokenizer_config.json for byte-level BPE. Each file is written atomically.
 */
public final class HfTokenizerFiles {
    private HfTokenizerFiles() {}

    public static void write(Tokenizer t, Path dir) throws IOException {
        switch (t) {
            case SentencePieceTokenizer sp -> SentencePieceModel.fromVocabulary(sp.vocabulary(), null).write(dir.resolve(TokenizerFiles.SENTENCEPIECE));
            case ByteLevelBpeTokenizer b -> {
                AtomicFiles.write(dir.resolve(TokenizerFiles.HF_JSON), HfTokenizerWriter.tokenizerJson(b));
                AtomicFiles.write(dir.resolve("tokenizer_config.json"), HfTokenizerWriter.tokenizerConfig(b));
            }
        }
    }
}
