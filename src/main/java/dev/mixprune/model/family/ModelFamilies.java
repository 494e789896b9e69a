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

    private static String ids() { return ALL.stream().map(ModelFamily::id).collect(Collectors.joining(", ")); }
}
