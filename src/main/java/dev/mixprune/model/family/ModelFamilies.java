package dev.mixprune.model.family;

import dev.mixprune.model.LlamaConfig;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The registry of model families: every reader and writer finds a model's family here. */
public final class ModelFamilies {
    private ModelFamilies() {}

    /** Adding a family: one class implementing {@link ModelFamily}, one line here. */
    private static final ModelFamily[] REGISTERED = {
            new LlamaFamily(),
            new Qwen2Family(),
            new MistralFamily(),
    };

    /** Every supported family, in registration order (the first family of a GGUF architecture reads it). */
    public static final List<ModelFamily> ALL = List.of(REGISTERED);

    /** The family of a config ({@link LlamaConfig#family()}). */
    public static ModelFamily of(LlamaConfig c) { return byId(c.family()); }

    public static ModelFamily byId(String id) {
        for (ModelFamily f : ALL) if (f.id().equals(id)) return f;
        throw new IllegalArgumentException("unknown model family '" + id + "', known: " + ids());
    }

    /** The family whose config.json says {@code model_type}. */
    public static Optional<ModelFamily> forHfModelType(String modelType) {
        for (ModelFamily f : ALL) if (f.hfModelTypes().contains(modelType)) return Optional.of(f);
        return Optional.empty();
    }

    /** The family that reads GGUF files of {@code general.architecture = arch}. */
    public static Optional<ModelFamily> forGgufArchitecture(String arch) {
        for (ModelFamily f : ALL) if (f.readsGgufArchitecture() && f.ggufArchitecture().equals(arch)) return Optional.of(f);
        return Optional.empty();
    }

    /** "llama, qwen2, ..." (HF model types) for messages. */
    public static String hfModelTypes() {
        return ALL.stream().flatMap(f -> f.hfModelTypes().stream()).collect(Collectors.joining(", "));
    }

    /** The GGUF architectures read, for messages. */
    public static String ggufArchitectures() {
        return ALL.stream().filter(ModelFamily::readsGgufArchitecture).map(ModelFamily::ggufArchitecture).distinct().collect(Collectors.joining(", "));
    }

    /**
     * Why a well-known family we do not read is refused, for the error message: its HF
     * {@code model_type} or GGUF architecture (e.g. {@code phi3}); empty for names we do not know.
     */
    public static Optional<String> whyUnsupported(String name) {
        return Optional.ofNullable(UNSUPPORTED.get(name));
    }

    private static final String MOE = "mixture-of-experts models are not supported";
    private static final String GEMMA = "Gemma's (1 + weight) norms, GeGLU, scaled embeddings and logit soft-capping are not supported";
    private static final java.util.Map<String, String> UNSUPPORTED = java.util.Map.ofEntries(
            java.util.Map.entry("phi3", "Phi-3's fused qkv_proj and gate_up_proj projections are not supported"),
            java.util.Map.entry("phi", "Phi-1/2's LayerNorm, partial rotary embedding and GELU MLP are not supported"),
            java.util.Map.entry("qwen3", "Qwen3's per-head q_norm/k_norm are not supported"),
            java.util.Map.entry("gemma", GEMMA), java.util.Map.entry("gemma2", GEMMA), java.util.Map.entry("gemma3", GEMMA),
            java.util.Map.entry("mixtral", MOE), java.util.Map.entry("qwen2_moe", MOE), java.util.Map.entry("qwen2moe", MOE),
            java.util.Map.entry("qwen3_moe", MOE), java.util.Map.entry("qwen3moe", MOE), java.util.Map.entry("deepseek_v2", MOE),
            java.util.Map.entry("deepseek2", MOE), java.util.Map.entry("deepseek_v3", MOE), java.util.Map.entry("olmoe", MOE),
            java.util.Map.entry("dbrx", MOE));

    private static String ids() { return ALL.stream().map(ModelFamily::id).collect(Collectors.joining(", ")); }
}
