package dev.mixprune.model.family;

import java.util.List;

/**
 * Mistral: LLaMA blocks (GQA, no biases). HF {@code model_type: mistral},
 * {@code MistralForCausalLM}; llama.cpp's converter writes it as GGUF architecture {@code llama}
 * (so a Mistral GGUF reads back as the llama family). {@code sliding_window} must be null or
 * cover the context (Mistral 7B v0.1's 4096-token window is refused).
 */
public final class MistralFamily implements ModelFamily {
    @Override public String id() { return "mistral"; }
    @Override public List<String> hfModelTypes() { return List.of("mistral"); }
    @Override public String hfArchitecture() { return "MistralForCausalLM"; }
    @Override public String ggufArchitecture() { return "llama"; }
    @Override public boolean readsGgufArchitecture() { return false; }
    @Override public void checkHf(HfConfig cfg) { SlidingWindow.requireCoversContext(cfg); }
}
