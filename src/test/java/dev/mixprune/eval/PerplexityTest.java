package dev.mixprune.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.Llama2cBin;
import dev.mixprune.io.Tokenizer;
import dev.mixprune.io.TokenizerBin;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.RandomModels;
import dev.mixprune.model.ReferenceForward;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class PerplexityTest {
    static LlamaWeights stories;
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        stories = Llama2cBin.read(SharedFiles.require(SharedFiles.stories260KBin()));
        tokenizer = new Tokenizer(TokenizerBin.read(SharedFiles.tok512(), 512));
    }

    @Test
    void validStreamMatchesFixture() throws Exception {
        JsonNode f = new ObjectMapper().readTree(SharedFiles.fixtures().resolve("streams.json").toFile()).get("streams").get("valid");
        assertThat(TextStream.documents(SharedFiles.tinyStoriesValid())).hasSize(f.get("documents").asInt());
        int[] ids = TextStream.tokens(SharedFiles.tinyStoriesValid(), tokenizer);
        assertThat(ids.length).isEqualTo(f.get("tokens").asInt());
        for (int i = 0; i < 64; i++) assertThat(ids[i]).isEqualTo(f.get("first_64").get(i).asInt());
        ByteBuffer b = ByteBuffer.allocate(ids.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : ids) b.putInt(id);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
        assertThat(sha).isEqualTo(f.get("sha256_int32le").asText());
    }

    @Test
    void stories260KOnTinyStoriesValidMatchesProtocolP() throws Exception {
        int[] ids = TextStream.tokens(SharedFiles.tinyStoriesValid(), tokenizer);
        PerplexityResult r = Perplexity.compute(stories, ids, 512);
        assertThat(r.windows()).isEqualTo(376);
        assertThat(r.tokensScored()).isEqualTo(192_136L);
        assertThat(r.meanNll()).isCloseTo(1.533341, offset(1.533341 * 1e-4));
        assertThat(r.ppl()).isCloseTo(4.633633, offset(4.633633 * 1e-4));
    }

    @Test
    void equalsADirectDoubleComputationOnATinyModel() {
        LlamaConfig c = new LlamaConfig(24, 37, 2, 4, 2, 29, 16, 1e-5f, 10000f, false);
        LlamaWeights w = RandomModels.random(c, 3);
        int[] stream = RandomModels.randomTokens(new Random(4), 16 * 5 + 7, 29);
        double sum = 0;
        for (int[] win : Perplexity.windows(stream, 16)) {
            double[][] l = ReferenceForward.logits(w, win);
            double s = 0;
            for (int t = 0; t < 15; t++) {
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (double v : l[t]) max = Math.max(max, v);
                for (double v : l[t]) z += Math.exp(v - max);
                s += Math.log(z) + max - l[t][win[t + 1]];
            }
            sum += s / 15;
        }
        double expected = sum / 5;
        for (int batch : new int[]{1, 2, 5, 100}) {
            PerplexityResult r = Perplexity.compute(w, stream, 16, batch);
            assertThat(r.windows()).isEqualTo(5);
            assertThat(r.tokensScored()).isEqualTo(75);
            assertThat(r.meanNll()).as("batch %d", batch).isCloseTo(expected, offset(1e-5));
            assertThat(r.ppl()).isCloseTo(Math.exp(expected), offset(1e-5 * Math.exp(expected)));
        }
    }

    @Test
    void paragraphsAreStrippedAndBlankLinesSeparate(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("t.txt");
        Files.writeString(f, "  One day.\nA line.\r\n\r\n\n   \nTwo  \n\n");
        assertThat(TextStream.documents(f)).containsExactly("One day.\nA line.", "Two");
        Path raw = dir.resolve("x.raw");
        Files.writeString(raw, " a\n\nb \n");
        assertThat(TextStream.documents(raw)).containsExactly(" a\n\nb \n");
        Files.write(dir.resolve("bad.txt"), new byte[]{'a', (byte) 0xff});
        assertThatThrownBy(() -> TextStream.documents(dir.resolve("bad.txt"))).hasMessageContaining("bad.txt").hasMessageContaining("UTF-8");
    }

    @Test
    void rejectsTooShortText() {
        assertThatThrownBy(() -> Perplexity.compute(stories, new int[]{1, 2, 3}, 512)).hasMessageContaining("fewer than one window");
        assertThat(Perplexity.windows(new int[10], 4)).hasNumberOfRows(2);
        assertThat(List.of(Perplexity.windows(new int[]{1, 2, 3, 4, 5}, 2)).get(1)).containsExactly(3, 4);
    }
}
