package dev.mixprune.model.family;

import dev.mixprune.model.LlamaConfig;

import java.util.List;

/**
 * LLaMA 1/2 (and llama2.c models): the defaults of {@link ModelFamily}. HF {@code model_type:
 * llama}, {@code LlamaForCausalLM}; GGUF architecture {@code llama} with q/k rows interleaved
 * (llama.cpp's converter undoes HF's rotate_half permutation).
 */
public final class LlamaFamily implements ModelFamily {
    @Override public String id() { return LlamaConfig.LLAMA; }
    @Override public List<String> hfModelTypes() { return List.of("llama"); }
    @Override public String hfArchitecture() { return "LlamaForCausalLM"; }
    @Override public String ggufArchitecture() { return "llama"; }
}
