package dev.mixprune.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.data.Corpus;
import dev.mixprune.data.TokenStream;
import dev.mixprune.eval.Perplexity;
import dev.mixprune.io.GgmlType;
import dev.mixprune.io.GgufFile;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.RopePermutation;
import dev.mixprune.io.TensorDType;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.Generator;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaForward;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.ReferenceForward;
import dev.mixprune.model.RopeScaling;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every family's tiny model through every format: HF directory as a real checkpoint writes it,
 * GGUF as llama.cpp's converter writes it, back to HF; the config and the weights survive, the
 * fast forward and the decoder agree with the double-precision reference, and the family's
 * features (biases, RoPE scaling and order, head_dim) matter to the perplexity.
 */
class FamilyFormatsTest {
    /** Window length of the sensitivity check (long windows: RoPE acts over more distances). */
    static final int SEQ = 128;
    static List<FamilyModels.Recipe> recipes() { return FamilyModels.all(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void readsTheHfCheckpointAsTheFamilysModel(FamilyModels.Recipe recipe, @TempDir Path tmp) throws Exception {
        Path hf = FamilyModels.writeHf(recipe, 7, tmp.resolve("hf"));
        LoadedModel m = ModelLoader.load(hf, null);
        assertThat(m.weights().config()).isEqualTo(recipe.config());
        assertSameWeights(m.weights(), FamilyModels.weights(recipe.config(), 7));

        // fast forward (and the KV-cache decoder) against the naive double forward
        int[] tokens = tokens(recipe.config(), 40);
        Matrix fast = LlamaForward.logits(m.weights(), tokens);
        double[][] ref = ReferenceForward.logits(m.weights(), tokens);
        Matrix decoded = Generator.decodeAll(m.weights(), tokens);
        double worst = 0, worstDecode = 0;
        for (int t = 0; t < tokens.length; t++) {
            for (int j = 0; j < recipe.config().vocabSize(); j++) {
                double scale = Math.max(1, Math.abs(ref[t][j]));
                worst = Math.max(worst, Math.abs(fast.get(t, j) - ref[t][j]) / scale);
                worstDecode = Math.max(worstDecode, Math.abs(decoded.get(t, j) - fast.get(t, j)) / scale);
            }
        }
        assertThat(worst).as("batched forward vs double reference").isLessThan(1e-4);
        assertThat(worstDecode).as("KV-cache decoder vs batched forward").isLessThan(1e-4);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void ggufIsWrittenTheWayLlamaCppsConverterWritesTheFamily(FamilyModels.Recipe recipe, @TempDir Path tmp) throws Exception {
        Path hf = FamilyModels.writeHf(recipe, 11, tmp.resolve("hf"));
        LoadedModel m = ModelLoader.load(hf, null);
        Path gguf = tmp.resolve("m.gguf");
        ModelWriter.write(m.weights(), m.tokenizerOrNull(), m.metadata(), gguf, ModelFormat.GGUF, TensorDType.F32);
        LlamaConfig c = recipe.config();
        boolean qwen = c.family().equals("qwen2");
        String arch = qwen ? "qwen2" : "llama";
        try (GgufFile f = GgufFile.open(gguf)) {
            assertThat(f.metadata().get("general.architecture").asString()).isEqualTo(arch);
            assertThat(f.metadata().get(arch + ".attention.head_count_kv").asLong()).isEqualTo(c.nKvHeads());
            assertThat(f.metadata().get(arch + ".rope.dimension_count").asLong()).isEqualTo(c.headDim());
            assertThat(f.metadata().get(arch + ".rope.freq_base").asDouble()).isEqualTo(c.ropeTheta());
            assertThat(f.metadata().containsKey(arch + ".attention.key_length")).isEqualTo(c.headDim() * c.nHeads() != c.dim());
            assertThat(f.tensor("output.weight") == null).as("tied embeddings: no output.weight").isEqualTo(c.sharedClassifier());
            assertThat(f.tensor("blk.1.attn_q.bias") != null).isEqualTo(qwen);
            assertThat(f.tensor("rope_freqs.weight") != null).isEqualTo(c.ropeScaling() instanceof RopeScaling.Llama3);
            if (f.tensor("rope_freqs.weight") != null) {
                float[] freqs = f.readFloats(f.tensor("rope_freqs.weight"));
                // llama.cpp's converter: 1 for short wavelengths, the factor for long ones, smooth between (recipe: 0 smooth, the rest long).
                assertThat(freqs).hasSize(c.headDim() / 2);
                assertThat(freqs[0]).isStrictlyBetween(1f, 8f);
                assertThat(freqs[freqs.length - 1]).isEqualTo(8f);
            }
            // q rows: llama.cpp's llama architecture wants the interleaved order (its converter undoes HF's
            // rotate_half permutation), qwen2 runs NEOX RoPE on HF's order as it is.
            float[] inFile = f.readFloats(f.tensor("blk.0.attn_q.weight"));
            Matrix q = m.weights().block(0).wq();
            Matrix expected = qwen ? RopePermutation.toHf(q, c.nHeads()) : q;
            assertThat(inFile).isEqualTo(expected.data());
            if (qwen) {
                float[] bias = f.readFloats(f.tensor("blk.0.attn_k.bias"));
                assertThat(f.tensor("blk.0.attn_k.bias").type()).isEqualTo(GgmlType.F32);
                assertThat(bias).isEqualTo(RopePermutation.toHalves(m.weights().block(0).bias(LayerKind.WK), c.kvDim(), 1, c.nKvHeads()));
            }
        }
        LoadedModel back = ModelLoader.load(gguf, null);
        assertSameWeights(back.weights(), m.weights());
        LlamaConfig bc = back.weights().config();
        assertThat(bc.withFamily(c.family()).withRope(c.ropeTheta(), c.ropeScaling())).isEqualTo(c);
        int[] tokens = tokens(c, 30);
        Matrix a = LlamaForward.logits(m.weights(), tokens), b = LlamaForward.logits(back.weights(), tokens);
        for (int i = 0; i < a.size(); i++) assertThat(Math.abs(a.data()[i] - b.data()[i])).isLessThan(1e-4f * Math.max(1f, Math.abs(a.data()[i])));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void hfOutKeepsTheFamilyAndCopiesTheTokenizerFiles(FamilyModels.Recipe recipe, @TempDir Path tmp) throws Exception {
        Path hf = FamilyModels.writeHf(recipe, 13, tmp.resolve("hf"));
        Files.writeString(hf.resolve("tokenizer_config.json"), "{\"add_bos_token\": true}");
        Files.writeString(hf.resolve("generation_config.json"), "{\"bos_token_id\": 1}");
        LoadedModel m = ModelLoader.load(hf, null);
        Path out = tmp.resolve("out");
        ModelWriter.write(m, out, ModelFormat.SAFETENSORS, TensorDType.F16);
        JsonNode cfg = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertThat(cfg.get("model_type").asText()).isEqualTo(recipe.configJson().get("model_type"));
        assertThat(cfg.get("architectures").get(0).asText()).isEqualTo(((List<?>) recipe.configJson().get("architectures")).get(0));
        assertThat(cfg.get("tie_word_embeddings").asBoolean()).isEqualTo(recipe.config().sharedClassifier());
        assertThat(cfg.get("rope_theta").asDouble()).isEqualTo(recipe.config().ropeTheta());
        if (recipe.config().ropeScaling() instanceof RopeScaling.Llama3) assertThat(cfg.get("rope_scaling").get("rope_type").asText()).isEqualTo("llama3");
        assertThat(Files.readString(out.resolve("tokenizer_config.json"))).isEqualTo("{\"add_bos_token\": true}");
        assertThat(Files.readString(out.resolve("generation_config.json"))).isEqualTo("{\"bos_token_id\": 1}");
        assertThat(out.resolve("special_tokens_map.json")).doesNotExist();
        LoadedModel back = ModelLoader.load(out, null);
        assertThat(back.weights().config()).isEqualTo(recipe.config());
    }

    /** A packed N:M GGUF of every family reads back to the same model; q/k rows in the architecture's order as in a dense GGUF. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void packedGgufRoundTripsEveryFamily(FamilyModels.Recipe recipe, @TempDir Path tmp) throws Exception {
        LlamaConfig c = recipe.config();
        LlamaWeights w = FamilyModels.weights(c, 29);
        for (BlockWeights b : w.blocks()) for (LayerKind k : LayerKind.values()) b.setLinear(k, dev.mixprune.sparse.NmMasks.magnitude(b.linear(k), 2, 4));
        Path packed = tmp.resolve("packed.gguf");
        // no vocabulary: this is about the weights (GGUF vocabularies: ggufIsWritten..., the tokenizer tests)
        dev.mixprune.io.PackedGguf.write(packed, w.pack(4), null, Map.of(), TensorDType.F32);
        LlamaWeights back = ModelLoader.loadWeights(packed);
        assertThat(back.isPacked()).isTrue();
        assertSameWeights(back.unpack(), w);
        int[] tokens = tokens(c, 20);
        Matrix a = LlamaForward.logits(w, tokens), b = LlamaForward.logits(back, tokens);
        for (int i = 0; i < a.size(); i++) assertThat(Math.abs(a.data()[i] - b.data()[i])).isLessThan(1e-4f * Math.max(1f, Math.abs(a.data()[i])));
        try (GgufFile f = GgufFile.open(packed)) {
            // a packed q keeps its kept values in the order a dense q is stored in: here the first row's values
            float[] values = f.readFloats(f.tensor("blk.0.attn_q.nm_values"));
            Matrix q = w.block(0).wq();
            Matrix stored = c.family().equals("qwen2") ? RopePermutation.toHf(q, c.nHeads()) : q;
            float[] kept = new float[q.cols() / 2];
            int n = 0;
            for (int i = 0; i < q.cols(); i++) if (stored.get(0, i) != 0f) kept[n++] = stored.get(0, i);
            assertThat(n).as("2:4 of random weights keeps exactly half").isEqualTo(kept.length);
            assertThat(java.util.Arrays.copyOf(values, kept.length)).isEqualTo(kept);
        }
        // 8-bit packed values (quant): the same rows come back, exactly as quantized in memory
        Path q8 = tmp.resolve("packed-q8.gguf");
        dev.mixprune.io.PackedGguf.write(q8, w.pack(4), null, Map.of(), TensorDType.Q8_0);
        LlamaWeights backQ8 = ModelLoader.loadWeights(q8);
        for (LayerKind k : new LayerKind[]{LayerKind.WQ, LayerKind.WK}) {
            Matrix expected = dev.mixprune.sparse.PackedNMQ8.quantize((dev.mixprune.sparse.PackedNM) w.pack(4).block(1).weight(k)).toDense();
            assertThat(backQ8.unpack().block(1).linear(k).data()).as(k.shortName()).isEqualTo(expected.data());
        }
    }

    /** A llama2.c .bin has no rope_theta or eps: SmolLM's theta 100000 would silently read back as 10000, so it is refused. */
    @org.junit.jupiter.api.Test
    void binRefusesWhatItsHeaderCannotSay(@TempDir Path tmp) {
        LlamaWeights smol = FamilyModels.weights(FamilyModels.byName("smollm").config(), 5);
        assertThat(smol.config().isPlainLlama()).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelWriter.write(smol, null, null, tmp.resolve("s.bin"), ModelFormat.BIN, TensorDType.F32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rope_theta 100000").hasMessageContaining("write gguf or safetensors");
        assertThat(tmp.resolve("s.bin")).doesNotExist();
    }

    /**
     * The tiny models are sensitive enough for the llama.cpp cross-check (1e-3 relative) to mean
     * something: leaving out a family feature moves the perplexity by 7 to 140 times that (measured on
     * TinyStories in 128-token windows, 2,000 tokens of the 512-piece vocabulary, 768 of the real Llama 3
     * and Qwen vocabularies: q/k RoPE pair order 0.7-14% (the least with Mistral's theta 1e6, where
     * few pairs turn within a window), Qwen2 biases 2.0%, llama3 scaling 8.8%, rope_theta / 10 1.1-6.4%).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void droppingAFamilyFeatureChangesThePerplexityALot(FamilyModels.Recipe recipe) throws Exception {
        LlamaConfig c = recipe.config();
        LlamaWeights w = FamilyModels.weights(c, 3);
        // 2,000 tokens; 768 with a real vocabulary, whose 128k-152k-row head dominates the cost
        int[] stream = stream(recipe.tokenizer(), recipe.realVocabulary() ? 768 : 2000);
        double ppl = Perplexity.compute(w, stream, SEQ).ppl();
        System.out.printf("%s: ppl %.4f%n", recipe.name(), ppl);
        // the q/k row order of RoPE: rotating the other pairs (what a missing permutation does)
        LlamaWeights swapped = w.copy();
        for (BlockWeights b : swapped.blocks()) {
            b.setLinear(LayerKind.WQ, RopePermutation.toHf(b.wq(), c.nHeads()));
            b.setLinear(LayerKind.WK, RopePermutation.toHf(b.wk(), c.nKvHeads()));
        }
        double swappedPpl = Perplexity.compute(swapped, stream, SEQ).ppl();
        System.out.printf("%s: RoPE pairs swapped: ppl %.4f (%.1f%%)%n", recipe.name(), swappedPpl, 100 * relativeChange(swappedPpl, ppl));
        assertThat(relativeChange(swappedPpl, ppl)).as("RoPE pair order").isGreaterThan(0.005);
        if (!c.biases().isEmpty()) {
            LlamaWeights noBias = withoutBiases(w);
            double x = Perplexity.compute(noBias, stream, SEQ).ppl();
            System.out.printf("%s: no biases: %.1f%%%n", recipe.name(), 100 * relativeChange(x, ppl));
            assertThat(relativeChange(x, ppl)).as("biases").isGreaterThan(0.01);
        }
        if (!(c.ropeScaling() instanceof RopeScaling.None)) {
            LlamaWeights plain = w.withConfig(c.withRope(c.ropeTheta(), RopeScaling.NONE));
            double x = Perplexity.compute(plain, stream, SEQ).ppl();
            System.out.printf("%s: no RoPE scaling: %.1f%%%n", recipe.name(), 100 * relativeChange(x, ppl));
            assertThat(relativeChange(x, ppl)).as("RoPE scaling").isGreaterThan(0.005);
        }
        LlamaWeights otherTheta = w.withConfig(c.withRope(c.ropeTheta() * 0.1f, c.ropeScaling()));
        double x = Perplexity.compute(otherTheta, stream, SEQ).ppl();
        System.out.printf("%s: rope_theta / 10: %.1f%%%n", recipe.name(), 100 * relativeChange(x, ppl));
        assertThat(relativeChange(x, ppl)).as("rope_theta").isGreaterThan(0.003);
    }

    static double relativeChange(double a, double b) { return Math.abs(a - b) / b; }

    static LlamaWeights withoutBiases(LlamaWeights w) {
        LlamaConfig c = w.config().withBiases(Set.of());
        List<BlockWeights> blocks = new java.util.ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            BlockWeights b = w.block(l);
            EnumMap<LayerKind, Matrix> lin = new EnumMap<>(LayerKind.class);
            for (LayerKind k : LayerKind.values()) lin.put(k, b.linear(k));
            blocks.add(new BlockWeights(b.attNorm(), b.ffnNorm(), lin, Map.of(), l));
        }
        return new LlamaWeights(c, w.tokenEmbedding(), blocks, w.finalNorm(), w.classifier());
    }

    /** TinyStories text tokenized with {@code v} (protocol P documents), at least {@code minTokens} ids. */
    static int[] stream(Tokenizer v, int minTokens) throws Exception {
        String text = Files.readString(SharedFiles.require(SharedFiles.tinyStoriesValid()));
        int[] ids = TokenStream.of(Corpus.of(Path.of("valid.txt"), dev.mixprune.data.DocumentSplit.PARAGRAPHS, text.substring(0, Math.min(text.length(), minTokens * 6))),
                v).toArray();
        assertThat(ids.length).isGreaterThanOrEqualTo(minTokens);
        return ids;
    }

    static int[] tokens(LlamaConfig c, int n) {
        java.util.Random r = new java.util.Random(n);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(c.vocabSize());
        return t;
    }

    static void assertSameWeights(LlamaWeights a, LlamaWeights b) {
        assertThat(a.tokenEmbedding().data()).isEqualTo(b.tokenEmbedding().data());
        assertThat(a.classifier().data()).isEqualTo(b.classifier().data());
        assertThat(a.finalNorm()).isEqualTo(b.finalNorm());
        for (int l = 0; l < a.config().nLayers(); l++) {
            for (LayerKind k : LayerKind.values()) {
                assertThat(a.block(l).linear(k).data()).as("blk.%d.%s", l, k.shortName()).isEqualTo(b.block(l).linear(k).data());
                assertThat(a.block(l).bias(k)).as("blk.%d.%s bias", l, k.shortName()).isEqualTo(b.block(l).bias(k));
            }
            assertThat(a.block(l).attNorm()).isEqualTo(b.block(l).attNorm());
            assertThat(a.block(l).ffnNorm()).isEqualTo(b.block(l).ffnNorm());
        }
    }
}
