package dev.mixprune.data;

import dev.mixprune.tokenizer.SentencePieceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.io.TokenizerBin;

import java.io.IOException;
import java.util.stream.StreamSupport;

/** Shared fixture access for the data tests (fixtures/README.md). */
final class Fixtures {
    private Fixtures() {}

    static JsonNode json(String name) throws IOException {
        return new ObjectMapper().readTree(SharedFiles.fixtures().resolve(name).toFile());
    }

    static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }

    static long[] longs(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToLong(JsonNode::asLong).toArray();
    }

    static Tokenizer tok512() throws IOException {
        return SentencePieceTokenizer.llama2c(TokenizerBin.read(SharedFiles.tok512(), 512));
    }
}
