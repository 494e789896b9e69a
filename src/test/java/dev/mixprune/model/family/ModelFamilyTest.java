package dev.mixprune.model.family;

import dev.mixprune.BadInputException;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelFamilyTest {
    final ModelFamily llama = ModelFamilies.byId("llama");

    @Test
    void llamaUsesLlamaCppAndHfNames() {
        assertThat(llama.ggufName(TensorId.EMBEDDING)).isEqualTo("token_embd.weight");
        assertThat(llama.ggufName(TensorId.attnNorm(3))).isEqualTo("blk.3.attn_norm.weight");
        assertThat(llama.ggufName(TensorId.weight(0, LayerKind.WO))).isEqualTo("blk.0.attn_output.weight");
        assertThat(llama.ggufName(TensorId.weight(1, LayerKind.W1))).isEqualTo("blk.1.ffn_gate.weight");
        assertThat(llama.ggufName(TensorId.weight(1, LayerKind.W2))).isEqualTo("blk.1.ffn_down.weight");
        assertThat(llama.ggufName(TensorId.weight(1, LayerKind.W3))).isEqualTo("blk.1.ffn_up.weight");
        assertThat(llama.ggufName(TensorId.bias(2, LayerKind.WK))).isEqualTo("blk.2.attn_k.bias");
        assertThat(llama.ggufName(TensorId.nmIndex(2, LayerKind.WV))).isEqualTo("blk.2.attn_v.nm_index");
        assertThat(llama.ggufName(TensorId.FINAL_NORM)).isEqualTo("output_norm.weight");
        assertThat(llama.ggufName(TensorId.CLASSIFIER)).isEqualTo("output.weight");
        assertThat(llama.ggufName(TensorId.ROPE_FREQS)).isEqualTo("rope_freqs.weight");
        assertThat(llama.ggufKey(GgufKey.HEAD_COUNT_KV)).isEqualTo("llama.attention.head_count_kv");

        assertThat(llama.hfName(TensorId.EMBEDDING)).isEqualTo("model.embed_tokens.weight");
        assertThat(llama.hfName(TensorId.ffnNorm(4))).isEqualTo("model.layers.4.post_attention_layernorm.weight");
        assertThat(llama.hfName(TensorId.weight(0, LayerKind.WQ))).isEqualTo("model.layers.0.self_attn.q_proj.weight");
        assertThat(llama.hfName(TensorId.bias(0, LayerKind.WQ))).isEqualTo("model.layers.0.self_attn.q_proj.bias");
        assertThat(llama.hfName(TensorId.weight(5, LayerKind.W2))).isEqualTo("model.layers.5.mlp.down_proj.weight");
        assertThat(llama.hfName(TensorId.CLASSIFIER)).isEqualTo("lm_head.weight");
        assertThatThrownBy(() -> llama.hfName(TensorId.ROPE_FREQS)).hasMessageContaining("no HF tensor");
    }

    @Test
    void tensorIdsAreChecked() {
        assertThatThrownBy(() -> new TensorId(TensorId.Role.WEIGHT, 0, null)).hasMessageContaining("needs a linear");
        assertThatThrownBy(() -> new TensorId(TensorId.Role.EMBEDDING, 2, null)).hasMessageContaining("not in a block");
        assertThatThrownBy(() -> new TensorId(TensorId.Role.ATTN_NORM, -1, null)).hasMessageContaining("needs a block");
    }

    @Test
    void registryFindsFamiliesByTheirNames() {
        assertThat(ModelFamilies.forHfModelType("llama")).containsSame(llama);
        assertThat(ModelFamilies.forGgufArchitecture("llama")).containsSame(llama);
        assertThat(ModelFamilies.forHfModelType("gpt2")).isEmpty();
        assertThat(ModelFamilies.of(new LlamaConfig(8, 16, 1, 2, 2, 10, 32, 1e-5f, 1e4f, true))).isSameAs(llama);
        assertThatThrownBy(() -> ModelFamilies.byId("nope")).hasMessageContaining("unknown model family 'nope'");
        // Every family has distinct ids and model types.
        assertThat(ModelFamilies.ALL.stream().map(ModelFamily::id).distinct().count()).isEqualTo(ModelFamilies.ALL.size());
        assertThat(ModelFamilies.ALL.stream().flatMap(f -> f.hfModelTypes().stream()).distinct().count())
                .isEqualTo(ModelFamilies.ALL.stream().mapToLong(f -> f.hfModelTypes().size()).sum());
    }

    @Test
    void hfConfigRoundTripsThroughTheFamilysKeys() {
        LlamaConfig c = new LlamaConfig(36, 50, 2, 6, 2, 300, 64, 1e-5f, 10000f, false);
        Map<String, Object> keys = new LinkedHashMap<>(llama.hfConfigKeys(c));
        LlamaConfig back = llama.fromHf(new HfConfig(Path.of("config.json"), keys), true);
        assertThat(back).isEqualTo(c);
        keys.put("num_attention_heads", -3);
        assertThatThrownBy(() -> llama.fromHf(new HfConfig(Path.of("x/config.json"), keys), true))
                .isInstanceOf(BadInputException.class).hasMessageContaining("x/config.json").hasMessageContaining("num_attention_heads");
    }
}
