package dev.mixprune.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixprune.SharedFiles;
import dev.mixprune.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** Protocol P streams against fixtures/stories260K/streams.json. */
class TokenStreamTest {
    private static Tokenizer tokenizer;
    private static JsonNode streams;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = Fixtures.tok512();
        streams = Fixtures.json("streams.json").get("streams");
    }

    private static TokenStream checkAgainstFixture(String key) {
        JsonNode f = streams.get(key);
        Corpus corpus = Corpus.read(SharedFiles.resolve(f.get("path").asText()));
        long t0 = System.nanoTime();
        TokenStream s = TokenStream.of(corpus, tokenizer);
        System.out.printf("TokenStream %s: %d documents, %d tokens, tokenized in %.3f s%n", key, s.documents(), s.length(), (System.nanoTime() - t0) / 1e9);
        assertThat(corpus.size()).as("documents").isEqualTo(f.get("documents").asInt());
        assertThat(s.documents()).isEqualTo(corpus.size());
        assertThat(s.length()).as("tokens").isEqualTo(f.get("tokens").asInt());
        int[] first = Fixtures.ints(f.get("first_64"));
        int[] last = Fixtures.ints(f.get("last_16"));
        assertThat(s.slice(0, first.length)).as("first ids").containsExactly(first);
        assertThat(s.slice(s.length() - last.length, last.length)).as("last ids").containsExactly(last);
        assertThat(s.sha256()).as("sha256 of int32le ids").isEqualTo(f.get("sha256_int32le").asText());
        return s;
    }

    @Test
    void tinyStoriesValidMatchesFixture() {
        TokenStream s = checkAgainstFixture("valid");
        // 2151 documents: one BOS each, and every document starts with BOS
        assertThat(Arrays.stream(s.toArray()).filter(id -> id == 1).count()).isEqualTo(2151);
    }

    @Test
    void tinyStoriesCalibMatchesFixture() { checkAgainstFixture("calib"); }

    @Test
    void wikiTestRawIsOneDocumentMatchingFixture() {
        TokenStream s = checkAgainstFixture("wiki.test.raw");
        assertThat(s.documents()).isEqualTo(1);
    }

    @Test
    void sha256OfAKnownSmallStream() {
        // python3 -c 'import hashlib,struct; print(hashlib.sha256(struct.pack("<3i", 1, -2, 70000)).hexdigest())'
        assertThat(TokenStream.ofIds(new int[]{1, -2, 70000}, 1).sha256())
                .isEqualTo("abb19db5eea990b951334da75d85f7dce355b2025e520e3f88ef8a4b199ff3cd");
    }
}
