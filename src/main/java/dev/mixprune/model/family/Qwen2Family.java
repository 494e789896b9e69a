package dev.mixprune.model.family;

import dev.mixprune.model.LayerKind;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Qwen2 and Qwen2.5: LLaMA blocks with biases on q, k and v (never pruned), usually tied
 * embeddings in the small sizes and rope_theta 1e6. GGUF architecture {@code qwen2}, which
 * llama.cpp runs with NEOX RoPE: its q/k rows stay in HF's rotate_half order (no permutation).
 * A sliding window ({@code use_sliding_window: true}) shorter than the context is refused.
 */
public final class Qwen2Family implements ModelFamily {
    @Override public String id() { return "qwen2"; }
    @Override public List<String> hfModelTypes() { return List.of("qwen2"); }
    @Override public String hfArchitecture() { return "Qwen2ForCausalLM"; }
    @Override public String ggufArchitecture() { return "qwen2"; }
    @Override public RopeLayout ggufRopeLayout() { return RopeLayout.HALVES; }
    @Override public Set<LayerKind> biases() { return EnumSet.of(LayerKind.WQ, LayerKind.WK, LayerKind.WV); }
    @Override public boolean ggufRopeFreqs() { return false; }

    @Override public void checkHf(HfConfig cfg) {
        if (cfg.bool("use_sliding_window", false)) SlidingWindow.requireCoversContext(cfg);
    }
}
