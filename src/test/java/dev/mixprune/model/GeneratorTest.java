package dev.mixprune.model;

import dev.mixprune.tokenizer.SentencePieceTokenizer;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.Llama2cBin;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.io.TokenizerBin;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class GeneratorTest {
    /** llama2.c's stop rule: BOS (1) or EOS (2) ends the text. */
    static final java.util.function.IntPredicate STOP = id -> id == 1 || id == 2;

    static LlamaWeights stories;
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        stories = ModelLoader.loadWeights(SharedFiles.require(SharedFiles.stories260KBin()));
        tokenizer = SentencePieceTokenizer.llama2c(TokenizerBin.read(SharedFiles.tok512(), 512));
    }

    static byte[] generate(LlamaWeights w, int[] prompt, int steps, Sampler s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Generator(w, steps).generate(prompt, steps, s, STOP, (prev, next) -> out.writeBytes(tokenizer.decodeBytes(prev, next)));
        return out.toByteArray();
    }

    @Test
    void greedyFromBosMatchesRunC() throws Exception {
        byte[] expected = Files.readAllBytes(SharedFiles.stories260KBin().resolveSibling("expected-greedy-n256.txt"));
        byte[] text = generate(stories, new int[]{1}, 256, Sampler.greedy());
        // run.c prints a newline after the generated text.
        byte[] printed = java.util.Arrays.copyOf(text, text.length + 1);
        printed[text.length] = '\n';
        assertThat(new String(printed, java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(new String(expected, java.nio.charset.StandardCharsets.UTF_8));
        assertThat(printed).isEqualTo(expected);
    }

    @Test
    void greedyFromGgufMatchesRunCToo() throws Exception {
        var m = dev.mixprune.io.ModelLoader.load(SharedFiles.require(SharedFiles.stories260KGguf()), null);
        byte[] expected = Files.readAllBytes(SharedFiles.stories260KBin().resolveSibling("expected-greedy-n256.txt"));
        Tokenizer t = m.requireTokenizer();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Generator(m.weights(), 256).generate(new int[]{1}, 256, Sampler.greedy(), STOP, (prev, next) -> out.writeBytes(t.decodeBytes(prev, next)));
        out.write('\n');
        assertThat(out.toByteArray()).isEqualTo(expected);
    }

    @Test
    void kvCacheDecodingEqualsBatchedForwardAtEveryPosition() {
        Random r = new Random(5);
        int[] tokens = RandomModels.randomTokens(r, 200, 512);
        tokens[0] = 1;
        Matrix batched = LlamaForward.logits(stories, tokens);
        Matrix decoded = Generator.decodeAll(stories, tokens);
        for (int i = 0; i < batched.size(); i++) assertThat(decoded.data()[i]).isCloseTo(batched.data()[i], offset(1e-4f));

        LlamaConfig c = new LlamaConfig(36, 47, 2, 6, 2, 37, 64, 1e-5f, 10000f, false);
        LlamaWeights w = RandomModels.random(c, 9);
        int[] t2 = RandomModels.randomTokens(r, 33, 37);
        Matrix b2 = LlamaForward.logits(w, t2), d2 = Generator.decodeAll(w, t2);
        for (int i = 0; i < b2.size(); i++) assertThat(d2.data()[i]).isCloseTo(b2.data()[i], offset(1e-4f));

        // Wide heads and a long context: the decoder's attention runs on the thread team here.
        LlamaConfig wide = new LlamaConfig(128, 40, 1, 2, 1, 19, 640, 1e-5f, 10000f, true);
        LlamaWeights ww = RandomModels.random(wide, 4);
        int[] t3 = RandomModels.randomTokens(r, 600, 19);
        Matrix b3 = LlamaForward.logits(ww, t3), d3 = Generator.decodeAll(ww, t3);
        for (int i = 0; i < b3.size(); i++) assertThat(d3.data()[i]).isCloseTo(b3.data()[i], offset(1e-4f));
    }

    @Test
    void promptTokensAreForcedAndStepsCountPositionsFromBos() {
        int[] prompt = tokenizer.encodeDocument("Once upon a time");
        int[] got = new Generator(stories, 20).generate(prompt, 20, Sampler.greedy(), STOP, null);
        assertThat(got.length).isLessThanOrEqualTo(21);
        for (int i = 0; i < prompt.length; i++) assertThat(got[i]).isEqualTo(prompt[i]);
        // Greedy continuation equals the argmax of the batched forward on the tokens so far.
        Matrix l = LlamaForward.logits(stories, java.util.Arrays.copyOf(got, got.length - 1));
        for (int t = prompt.length - 1; t < got.length - 1; t++) {
            assertThat(got[t + 1]).isEqualTo(Sampler.argmax(java.util.Arrays.copyOfRange(l.data(), t * 512, (t + 1) * 512), 512));
        }
        // Prompt longer than the steps: only the forced tokens that fit.
        int[] shortRun = new Generator(stories, 3).generate(prompt, 3, Sampler.greedy(), STOP, null);
        assertThat(shortRun).containsExactly(prompt[0], prompt[1], prompt[2], prompt[3]);
    }

    @Test
    void batchedPrefillFillsTheSameCacheAsStepByStep() {
        int[] tokens = RandomModels.randomTokens(new Random(12), 70, 512);
        tokens[0] = 1;
        Matrix stepwise = Generator.decodeAll(stories, tokens);
        Generator g = new Generator(stories, 80);
        float[] last = g.prefill(java.util.Arrays.copyOf(tokens, 60)).clone();
        for (int j = 0; j < 512; j++) assertThat(last[j]).isCloseTo(stepwise.get(59, j), offset(1e-4f));
        for (int t = 60; t < 70; t++) {
            float[] l = g.step(tokens[t], t);
            for (int j = 0; j < 512; j++) assertThat(l[j]).as("pos %d id %d", t, j).isCloseTo(stepwise.get(t, j), offset(1e-4f));
        }
    }

    @Test
    void promptGivesTheSameTextWithAndWithoutBatchedPrefill() {
        int[] prompt = tokenizer.encodeDocument("Once upon a time, there was a little dog named Max. He liked");
        int[] batched = new Generator(stories, 120).generate(prompt, 120, Sampler.greedy(), STOP, null, true);
        int[] stepwise = new Generator(stories, 120).generate(prompt, 120, Sampler.greedy(), STOP, null, false);
        assertThat(batched).containsExactly(stepwise);
        assertThat(batched.length).isGreaterThan(prompt.length + 10);
        // a forced EOS inside the prompt ends the run in both modes (run.c checks forced tokens too)
        LlamaWeights w = constantPredictor(4);
        for (boolean b : new boolean[]{true, false}) {
            assertThat(new Generator(w, 10).generate(new int[]{1, 3, 2, 4}, 10, Sampler.greedy(), STOP, null, b)).containsExactly(1, 3);
        }
    }

    @Test
    void samplingIsDeterministicPerSeedAndVariesAcrossSeeds() {
        byte[] a = generate(stories, new int[]{1}, 60, new Sampler(1.0f, 0.9f, 42));
        byte[] b = generate(stories, new int[]{1}, 60, new Sampler(1.0f, 0.9f, 42));
        assertThat(a).isEqualTo(b);
        boolean differs = false;
        for (long seed = 1; seed < 6 && !differs; seed++) {
            differs = !java.util.Arrays.equals(a, generate(stories, new int[]{1}, 60, new Sampler(1.0f, 0.9f, seed)));
        }
        assertThat(differs).isTrue();
    }

    /** A model whose every prediction is {@code winner}: zero linears keep the residual at the embedding. */
    static LlamaWeights constantPredictor(int winner) {
        LlamaConfig c = new LlamaConfig(8, 12, 1, 2, 1, 5, 16, 1e-5f, 10000f, false);
        LlamaWeights w = RandomModels.random(c, 1);
        java.util.Arrays.fill(w.tokenEmbedding().data(), 1f);
        for (BlockWeights b : w.blocks()) for (LayerKind k : LayerKind.values()) java.util.Arrays.fill(b.linear(k).data(), 0f);
        java.util.Arrays.fill(w.finalNorm(), 1f);
        java.util.Arrays.fill(w.classifier().data(), 0f);
        for (int j = 0; j < 8; j++) w.classifier().set(winner, j, 1f);
        return w;
    }

    @Test
    void generationStopsAtEosAndBosButForcesThePrompt() {
        for (int stop : new int[]{1, 2}) {
            LlamaWeights w = constantPredictor(stop);
            assertThat(new Generator(w, 10).generate(new int[]{1, 3, 4}, 10, Sampler.greedy(), STOP, null)).containsExactly(1, 3, 4);
        }
        LlamaWeights w = constantPredictor(4);
        assertThat(new Generator(w, 6).generate(new int[]{1, 3}, 6, Sampler.greedy(), STOP, null)).containsExactly(1, 3, 4, 4, 4, 4, 4);
    }

    @Test
    void rejectsBadArguments() {
        Generator g = new Generator(stories, 4);
        assertThatThrownBy(() -> g.step(600, 0)).hasMessageContaining("token id 600");
        assertThatThrownBy(() -> g.step(1, 4)).hasMessageContaining("position 4");
        assertThatThrownBy(() -> g.generate(new int[]{1}, 5, Sampler.greedy(), STOP, null)).hasMessageContaining("exceed");
        assertThatThrownBy(() -> new Sampler(-1f, 0.9f, 1)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> new Sampler(1f, 1.5f, 1)).hasMessageContaining("top-p");
    }
}
