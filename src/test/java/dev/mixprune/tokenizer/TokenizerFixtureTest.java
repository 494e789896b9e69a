package dev.mixprune.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.TokenizerBin;
import org.junit.jupiter.api.Test;

import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

class TokenizerFixtureTest {
    @Test
    void naiveEncoderMatchesGoldenIds() throws Exception {
        Tokenizer t = SentencePieceTokenizer.llama2c(TokenizerBin.read(SharedFiles.tok512(), 512));
        JsonNode root = new ObjectMapper().readTree(SharedFiles.fixtures().resolve("tokenize.json").toFile());
        int n = 0;
        for (JsonNode c : root.get("cases")) {
            int[] expected = StreamSupport.stream(c.get("ids_with_bos").spliterator(), false).mapToInt(JsonNode::asInt).toArray();
            assertThat(t.encodeDocument(c.get("text").asText())).as(c.get("text").asText()).containsExactly(expected);
            n++;
        }
        assertThat(n).isGreaterThan(5);
    }
}
