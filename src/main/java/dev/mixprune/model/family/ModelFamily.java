package dev.mixprune.model.family;

import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.RopeScaling;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A model family (Llama, Qwen2, Mistral, ...): everything that differs between families when a model
 * is read or written, as names and shapes only. Its config keys and identity in HF
 * ({@code model_type}, {@code architectures}) and GGUF ({@code general.architecture} and the
 * {@code <arch>.*} metadata keys), its tensor names in both (llama.cpp's names in GGUF), and its
 * block structure (which linears have biases, the q/k row order in GGUF).
 *
 * <p>The defaults are the LLaMA conventions that most families share; a family overrides what
 * differs. Adding a family is one class implementing this interface plus one line in
 * {@link ModelFamilies#ALL}. The forward and backward never look at the family: they run on
 * {@link LlamaConfig}'s features (head_dim, biases, RoPE scaling, tied embeddings).
 */
public interface ModelFamily {
    /** Short id stored in {@link LlamaConfig#family()}, e.g. {@code llama}. */
    String id();

    /** The {@code model_type} values of config.json this family reads; the first is written when the input had none of them. */
    List<String> hfModelTypes();

    /** The {@code architectures} entry written into config.json when the input had none. */
    String hfArchitecture();

    /** {@code general.architecture} in GGUF (llama.cpp's architecture name). */
    String ggufArchitecture();

    /** Whether this family is the one read from GGUF files of {@link #ggufArchitecture()} (several families may write one architecture). */
    default boolean readsGgufArchitecture() { return true; }

    /** The q/k row order llama.cpp expects for this architecture in GGUF. */
    default RopeLayout ggufRopeLayout() { return RopeLayout.INTERLEAVED; }

    /** The q/k row order of HF checkpoints (rotate_half for every family here). */
    default RopeLayout hfRopeLayout() { return RopeLayout.HALVES; }

    /**
     * Whether llama.cpp applies per-frequency RoPE factors ({@code rope_freqs.weight}: Llama 3.1's
     * scaling) for this family's GGUF architecture; where it does not, such a model is refused.
     */
    default boolean ggufRopeFreqs() { return true; }

    /** The linears that carry a bias in this family (none for LLaMA). */
    default Set<LayerKind> biases() { return Set.of(); }

    // ------------------------------------------------------------------ HF config.json

    /**
     * The config from config.json; {@code lmHeadPresent} tells whether the checkpoint has its own
     * classifier. Errors name the file and the field. Common keys: hidden_size,
     * intermediate_size, num_hidden_layers, num_attention_heads, num_key_value_heads (default:
     * heads), head_dim (default hidden_size / heads), vocab_size, max_position_embeddings (2048),
     * rms_norm_eps (1e-6), rope_theta / rope_scaling / rope_parameters ({@link HfRope}),
     * tie_word_embeddings; the family adds its checks ({@link #checkHf}) and biases ({@link #hfBiases}).
     */
    default LlamaConfig fromHf(HfConfig cfg, boolean lmHeadPresent) {
        HfRope.Rope rope = HfRope.read(cfg);
        if (!ggufRopeFreqs() && (rope.scaling() instanceof RopeScaling.Llama3 || rope.scaling() instanceof RopeScaling.Factors)) {
            throw cfg.bad("field rope_scaling: " + rope.scaling().describe() + " is not supported for model_type " + hfModelTypes().getFirst()
                    + " (llama.cpp's " + ggufArchitecture() + " ignores frequency factors)");
        }
        checkHf(cfg);
        Object act = cfg.raw("hidden_act");
        if (act != null && !"silu".equals(act)) throw cfg.bad("field hidden_act: \"" + act + "\" is not supported (SwiGLU with silu only)");
        Object partial = cfg.raw("partial_rotary_factor");
        if (partial != null && !(partial instanceof Number n && n.doubleValue() == 1.0)) {
            throw cfg.bad("field partial_rotary_factor: " + partial + " is not supported (rotary embeddings over the whole head only)");
        }
        int heads = cfg.positiveInt("num_attention_heads");
        boolean tie = Boolean.TRUE.equals(cfg.raw("tie_word_embeddings"));
        int dim = cfg.positiveInt("hidden_size");
        int hidden = cfg.positiveInt("intermediate_size");
        int layers = cfg.positiveInt("num_hidden_layers");
        int kvHeads = cfg.positiveInt("num_key_value_heads", heads);
        int headDim;
        if (cfg.has("head_dim")) headDim = cfg.positiveInt("head_dim");
        else if (dim % heads != 0) throw cfg.bad("field hidden_size: " + dim + " is not a multiple of num_attention_heads " + heads + " (and no head_dim is given)");
        else headDim = dim / heads;
        try {
            return new LlamaConfig(id(), dim, hidden, layers, heads, kvHeads, headDim, cfg.positiveInt("vocab_size"), cfg.positiveInt("max_position_embeddings", 2048),
                    cfg.number("rms_norm_eps", 1e-6f), rope.theta(), rope.scaling(), hfBiases(cfg), tie || !lmHeadPresent);
        } catch (IllegalArgumentException e) {
            throw cfg.bad(e.getMessage());
        }
    }

    /** The family's own refusals of config.json (sliding windows, ...); none by default. */
    default void checkHf(HfConfig cfg) { }

    /** The linears with a bias according to config.json: {@link #biases()} by default. */
    default Set<LayerKind> hfBiases(HfConfig cfg) { return biases(); }

    /**
     * The keys this family writes into config.json for {@code c}, in order, over whatever the input's
     * config.json had ({@code architectures} and {@code model_type} are handled by the writer).
     * Floats are the float's shortest decimal ({@code 1.0E-5}), so they read back to the same float.
     * {@code head_dim} and {@code rope_scaling} only when the model has them.
     */
    default Map<String, Object> hfConfigKeys(LlamaConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hidden_size", c.dim());
        m.put("intermediate_size", c.hiddenDim());
        m.put("num_hidden_layers", c.nLayers());
        m.put("num_attention_heads", c.nHeads());
        m.put("num_key_value_heads", c.nKvHeads());
        m.put("vocab_size", c.vocabSize());
        m.put("max_position_embeddings", c.seqLen());
        m.put("rms_norm_eps", Double.parseDouble(Float.toString(c.normEps())));
        m.put("rope_theta", Double.parseDouble(Float.toString(c.ropeTheta())));
        m.put("tie_word_embeddings", c.sharedClassifier());
        m.put("hidden_act", "silu");
        if (c.headDim() * c.nHeads() != c.dim()) m.put("head_dim", c.headDim());
        if (!(c.ropeScaling() instanceof RopeScaling.None)) m.put("rope_scaling", HfRope.toJson(c.ropeScaling()));
        putHfBiases(c, m);
        return m;
    }

    /** Writes the config.json keys that declare {@code c}'s biases; by default the family's biases are implied and must match. */
    default void putHfBiases(LlamaConfig c, Map<String, Object> m) {
        if (!c.biases().equals(biases())) {
            throw new IllegalArgumentException("config.json of model_type " + hfModelTypes().getFirst() + " cannot hold biases on " + c.biases()
                    + " (the family has them on " + biases() + ")");
        }
    }

    // ------------------------------------------------------------------ names

    /** A metadata key of this family's GGUF architecture: {@code <arch>.<suffix>}. */
    default String ggufKey(GgufKey key) { return ggufArchitecture() + "." + key.suffix(); }

    /** The tensor's name in GGUF (llama.cpp's names; the packed N:M parts are mixprune's). */
    default String ggufName(TensorId t) {
        return switch (t.role()) {
            case EMBEDDING -> "token_embd.weight";
            case ATTN_NORM -> "blk." + t.block() + ".attn_norm.weight";
            case FFN_NORM -> "blk." + t.block() + ".ffn_norm.weight";
            case WEIGHT -> "blk." + t.block() + "." + ggufLinear(t.linear()) + ".weight";
            case BIAS -> "blk." + t.block() + "." + ggufLinear(t.linear()) + ".bias";
            case NM_VALUES -> "blk." + t.block() + "." + ggufLinear(t.linear()) + ".nm_values";
            case NM_INDEX -> "blk." + t.block() + "." + ggufLinear(t.linear()) + ".nm_index";
            case FINAL_NORM -> "output_norm.weight";
            case CLASSIFIER -> "output.weight";
            case ROPE_FREQS -> "rope_freqs.weight";
        };
    }

    /** llama.cpp's name of a linear inside a block. */
    private static String ggufLinear(LayerKind k) {
        return switch (k) {
            case WQ -> "attn_q";
            case WK -> "attn_k";
            case WV -> "attn_v";
            case WO -> "attn_output";
            case W1 -> "ffn_gate";
            case W2 -> "ffn_down";
            case W3 -> "ffn_up";
        };
    }

    /** The tensor's name in an HF checkpoint; roles HF does not have (rope_freqs, packed parts) are an error. */
    default String hfName(TensorId t) {
        return switch (t.role()) {
            case EMBEDDING -> "model.embed_tokens.weight";
            case ATTN_NORM -> "model.layers." + t.block() + ".input_layernorm.weight";
            case FFN_NORM -> "model.layers." + t.block() + ".post_attention_layernorm.weight";
            case WEIGHT -> "model.layers." + t.block() + "." + hfLinear(t.linear()) + ".weight";
            case BIAS -> "model.layers." + t.block() + "." + hfLinear(t.linear()) + ".bias";
            case FINAL_NORM -> "model.norm.weight";
            case CLASSIFIER -> "lm_head.weight";
            case ROPE_FREQS, NM_VALUES, NM_INDEX -> throw new IllegalArgumentException(t.role().name().toLowerCase(Locale.ROOT) + " has no HF tensor");
        };
    }

    /** HF module path of a linear inside a layer. */
    private static String hfLinear(LayerKind k) {
        return switch (k) {
            case WQ -> "self_attn.q_proj";
            case WK -> "self_attn.k_proj";
            case WV -> "self_attn.v_proj";
            case WO -> "self_attn.o_proj";
            case W1 -> "mlp.gate_proj";
            case W2 -> "mlp.down_proj";
            case W3 -> "mlp.up_proj";
        };
    }
}
