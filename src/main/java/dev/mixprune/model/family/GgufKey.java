package dev.mixprune.model.family;

/**
 * The architecture-prefixed GGUF metadata keys a decoder needs (llama.cpp's {@code LLM_KV_*}):
 * {@code <general.architecture>.<suffix>}, e.g. {@code qwen2.attention.head_count}.
 */
public enum GgufKey {
    CONTEXT_LENGTH("context_length"),
    EMBEDDING_LENGTH("embedding_length"),
    FEED_FORWARD_LENGTH("feed_forward_length"),
    BLOCK_COUNT("block_count"),
    HEAD_COUNT("attention.head_count"),
    HEAD_COUNT_KV("attention.head_count_kv"),
    KEY_LENGTH("attention.key_length"),
    VALUE_LENGTH("attention.value_length"),
    RMS_EPS("attention.layer_norm_rms_epsilon"),
    ROPE_DIMENSION_COUNT("rope.dimension_count"),
    ROPE_FREQ_BASE("rope.freq_base"),
    ROPE_SCALING_TYPE("rope.scaling.type"),
    ROPE_SCALING_FACTOR("rope.scaling.factor"),
    ROPE_SCALING_ORIG_CTX("rope.scaling.original_context_length"),
    VOCAB_SIZE("vocab_size"),
    SLIDING_WINDOW("attention.sliding_window");

    private final String suffix;

    GgufKey(String suffix) { this.suffix = suffix; }

    public String suffix() { return suffix; }
}
