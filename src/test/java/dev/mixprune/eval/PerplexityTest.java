package dev.mixprune.eval;

import dev.mixprune.tokenizer.SentencePieceTokenizer;
import dev.mixprune.io.ModelLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.data.Corpus;
import dev.mixprune.data.TokenStream;
import dev.mixprune.io.Llama2cBin;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.io.TokenizerBin;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.RandomModels;
import dev.mixprune.model.ReferenceForward;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class PerplexityTest {
    static LlamaWeights stories;
    static Tokenizer tokenizer;
    private static int[] validIds;

    /** The valid.txt stream, tokenized once for all tests of this class (the naive encoder is slow). */
    static synchronized int[] validIds() throws Exception {
        if (validIds == null) validIds = TokenStream.of(Corpus.read(SharedFiles.tinyStoriesValid()), tokenizer).toArray();
        return validIds;
    }

    @BeforeAll
    static void load() throws Exception {
        stories = ModelLoader.loadWeights(SharedFiles.require(SharedFiles.stories260KBin()));
        tokenizer = SentencePieceTokenizer.llama2c(TokenizerBin.read(SharedFiles.tok512(), 512));
    }

    /** The acceptance number of fixtures/README.md (all 376 windows: slow until the GEMM is fast). */
    @Test
    @Tag("slow")
    void stories260KOnTinyStoriesValidMatchesProtocolP() throws Exception {
        int[] ids = validIds();
        PerplexityResult r = Perplexity.compute(stories, ids, 512);
        assertThat(r.windows()).isEqualTo(376);
        assertThat(r.tokensScored()).isEqualTo(192_136L);
        assertThat(r.meanNll()).isCloseTo(1.533341, offset(1.533341 * 1e-4));
        assertThat(r.ppl()).isCloseTo(4.633633, offset(4.633633 * 1e-4));
    }

    /** Protocol P from the GGUF copy (same weights bit for bit, its own vocabulary): the same number. */
    @Test
    @Tag("slow")
    void ggufGivesTheSameValueAsBin() throws Exception {
        var m = dev.mixprune.io.ModelLoader.load(SharedFiles.require(SharedFiles.stories260KGguf()), null);
        int[] ids = TokenStream.of(Corpus.read(SharedFiles.tinyStoriesValid()), m.requireTokenizer()).toArray();
        assertThat(ids).isEqualTo(validIds());
        PerplexityResult g = Perplexity.compute(m.weights(), ids, 512);
        PerplexityResult b = Perplexity.compute(stories, validIds(), 512);
        assertThat(g).isEqualTo(b);
        assertThat(g.ppl()).isCloseTo(4.633633, offset(4.633633 * 1e-4));
    }

    /** fixtures/README.md: wiki.test.raw as one document, 1,580 windows, ppl 119.3718. */
    @Test
    @Tag("slow")
    void stories260KOnWikiTextMatchesProtocolP() throws Exception {
        int[] ids = TokenStream.of(Corpus.read(SharedFiles.wikiTest()), tokenizer).toArray();
        PerplexityResult r = Perplexity.compute(stories, ids, 512);
        assertThat(r.windows()).isEqualTo(1580);
        assertThat(r.tokensScored()).isEqualTo(1580L * 511);
        assertThat(r.ppl()).isCloseTo(119.3718, offset(119.3718 * 1e-5));
    }

    @Test
    void equalsADirectDoubleComputationOnStoriesWindows() throws Exception {
        int[] ids = java.util.Arrays.copyOf(validIds(), 3 * 128 + 50);
        assertThat(Perplexity.compute(stories, ids, 128).meanNll())
                .isCloseTo(referenceMeanNll(stories, ids, 128), offset(1e-5));
    }

    static double referenceMeanNll(LlamaWeights w, int[] stream, int seqLen) {
        int[][] wins = Perplexity.windows(stream, seqLen);
        double sum = 0;
        for (int[] win : wins) {
            double[][] l = ReferenceForward.logits(w, win);
            double s = 0;
            for (int t = 0; t + 1 < seqLen; t++) {
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (double v : l[t]) max = Math.max(max, v);
                for (double v : l[t]) z += Math.exp(v - max);
                s += Math.log(z) + max - l[t][win[t + 1]];
            }
            sum += s / (seqLen - 1);
        }
        return sum / wins.length;
    }

    @Test
    void equalsADirectDoubleComputationOnATinyModel() {
        LlamaConfig c = new LlamaConfig(24, 37, 2, 4, 2, 29, 16, 1e-5f, 10000f, false);
        LlamaWeights w = RandomModels.random(c, 3);
        int[] stream = RandomModels.randomTokens(new Random(4), 16 * 5 + 7, 29);
        double expected = referenceMeanNll(w, stream, 16);
        for (int batch : new int[]{1, 2, 5, 100}) {
            PerplexityResult r = Perplexity.compute(w, stream, 16, batch);
            assertThat(r.windows()).isEqualTo(5);
            assertThat(r.tokensScored()).isEqualTo(75);
            assertThat(r.meanNll()).as("batch %d", batch).isCloseTo(expected, offset(1e-5));
            assertThat(r.ppl()).isCloseTo(Math.exp(expected), offset(1e-5 * Math.exp(expected)));
        }
    }

    @Test
    void rejectsTooShortText() {
        assertThatThrownBy(() -> Perplexity.compute(stories, new int[]{1, 2, 3}, 512)).hasMessageContaining("fewer than one window");
        assertThat(Perplexity.windows(new int[10], 4)).hasNumberOfRows(2);
        assertThat(List.of(Perplexity.windows(new int[]{1, 2, 3, 4, 5}, 2)).get(1)).containsExactly(3, 4);
    }
}
