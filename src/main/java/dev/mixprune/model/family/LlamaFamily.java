package dev.mixprune.model.family;

import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * LLaMA 1/2/3 (3.1 with llama3 RoPE scaling, 3.2 with tied embeddings), and the models built on
 * its architecture (SmolLM, TinyLlama, llama2.c): the defaults of {@link ModelFamily}. HF
 * {@code model_type: llama}, {@code LlamaForCausalLM}; GGUF architecture {@code llama} with q/k
 * rows interleaved (llama.cpp's converter undoes HF's rotate_half permutation). config.json's
 * {@code attention_bias} (q, k, v, o) and {@code mlp_bias} (gate, down, up) are honoured; llama.cpp
 * loads those biases too.
 */
public final class LlamaFamily implements ModelFamily {
    private static final Set<LayerKind> ATTENTION = EnumSet.of(LayerKind.WQ, LayerKind.WK, LayerKind.WV, LayerKind.WO);
    private static final Set<LayerKind> MLP = EnumSet.of(LayerKind.W1, LayerKind.W2, LayerKind.W3);

    @Override public String id() { return LlamaConfig.LLAMA; }
    @Override public List<String> hfModelTypes() { return List.of("llama"); }
    @Override public String hfArchitecture() { return "LlamaForCausalLM"; }
    @Override public String ggufArchitecture() { return "llama"; }

    @Override public Set<LayerKind> hfBiases(HfConfig cfg) {
        EnumSet<LayerKind> b = EnumSet.noneOf(LayerKind.class);
        if (cfg.bool("attention_bias", false)) b.addAll(ATTENTION);
        if (cfg.bool("mlp_bias", false)) b.addAll(MLP);
        return b;
    }

    @Override public void putHfBiases(LlamaConfig c, Map<String, Object> m) {
        boolean attn = c.biases().containsAll(ATTENTION), mlp = c.biases().containsAll(MLP);
        if (c.biases().size() != (attn ? 4 : 0) + (mlp ? 3 : 0)) {
            throw new IllegalArgumentException("config.json of model_type llama cannot hold biases on " + c.biases()
                    + " (attention_bias covers q, k, v and o together, mlp_bias gate, down and up)");
        }
        if (attn) m.put("attention_bias", true);
        if (mlp) m.put("mlp_bias", true);
    }
}
