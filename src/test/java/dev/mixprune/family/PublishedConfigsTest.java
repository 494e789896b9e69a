package dev.mixprune.family;

import dev.mixprune.BadInputException;
import dev.mixprune.io.HfModel;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.RopeScaling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The config.json files of the checkpoints people prune, as published on the Hugging Face Hub
 * (transcribed, every key kept, including the ones we ignore such as SmolLM's
 * {@code rope_interleaved: false} or Qwen's {@code max_window_layers}), read into the config the
 * forward runs. The tiny models of {@link FamilyModels} check the math on each family's features;
 * this checks that the real files name those features the way the readers expect, at real sizes.
 */
class PublishedConfigsTest {
    @TempDir Path tmp;

    private LlamaConfig read(String json, boolean lmHead) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("m" + System.nanoTime()));
        Files.writeString(dir.resolve(HfModel.CONFIG), json);
        return HfModel.config(dir, HfModel.readConfigJson(dir), lmHead);
    }

    @Test
    void tinyLlama() throws Exception { // TinyLlama/TinyLlama-1.1B-Chat-v1.0
        LlamaConfig c = read("""
                {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "bos_token_id": 1, "eos_token_id": 2,
                 "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 5632,
                 "max_position_embeddings": 2048, "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 22,
                 "num_key_value_heads": 4, "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": null, "rope_theta": 10000.0,
                 "tie_word_embeddings": false, "torch_dtype": "bfloat16", "transformers_version": "4.35.0", "use_cache": true,
                 "vocab_size": 32000}
                """, true);
        assertThat(c).isEqualTo(new LlamaConfig("llama", 2048, 5632, 22, 32, 4, 64, 32000, 2048, 1e-5f, 10000f, RopeScaling.NONE, Set.of(), false));
    }

    @Test
    void smolLm2() throws Exception { // HuggingFaceTB/SmolLM2-135M
        LlamaConfig c = read("""
                {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "bos_token_id": 0,
                 "eos_token_id": 0, "hidden_act": "silu", "hidden_size": 576, "initializer_range": 0.041666666666666664,
                 "intermediate_size": 1536, "is_llama_config": true, "max_position_embeddings": 8192, "model_type": "llama",
                 "num_attention_heads": 9, "num_hidden_layers": 30, "num_key_value_heads": 3, "pretraining_tp": 1,
                 "rms_norm_eps": 1e-05, "rope_interleaved": false, "rope_scaling": null, "rope_theta": 100000,
                 "tie_word_embeddings": true, "torch_dtype": "bfloat16", "transformers_version": "4.40.1", "use_cache": true,
                 "vocab_size": 49152}
                """, false);
        assertThat(c).isEqualTo(new LlamaConfig("llama", 576, 1536, 30, 9, 3, 64, 49152, 8192, 1e-5f, 100000f, RopeScaling.NONE, Set.of(), true));
    }

    @Test
    void llama32() throws Exception { // meta-llama/Llama-3.2-1B
        LlamaConfig c = read("""
                {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "bos_token_id": 128000,
                 "eos_token_id": 128001, "head_dim": 64, "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02,
                 "intermediate_size": 8192, "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama",
                 "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8, "pretraining_tp": 1,
                 "rms_norm_eps": 1e-05,
                 "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                  "original_max_position_embeddings": 8192, "rope_type": "llama3"},
                 "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
                 "transformers_version": "4.45.0.dev0", "use_cache": true, "vocab_size": 128256}
                """, false);
        assertThat(c).isEqualTo(new LlamaConfig("llama", 2048, 8192, 16, 32, 8, 64, 128256, 131072, 1e-5f, 500000f,
                new RopeScaling.Llama3(32, 1, 4, 8192), Set.of(), true));
    }

    @Test
    void qwen25() throws Exception { // Qwen/Qwen2.5-0.5B
        LlamaConfig c = read("""
                {"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643, "eos_token_id": 151643,
                 "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02, "intermediate_size": 4864,
                 "max_position_embeddings": 32768, "max_window_layers": 24, "model_type": "qwen2", "num_attention_heads": 14,
                 "num_hidden_layers": 24, "num_key_value_heads": 2, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
                 "sliding_window": 32768, "tie_word_embeddings": true, "torch_dtype": "bfloat16", "transformers_version": "4.40.1",
                 "use_cache": true, "use_sliding_window": false, "vocab_size": 151936}
                """, false);
        assertThat(c).isEqualTo(new LlamaConfig("qwen2", 896, 4864, 24, 14, 2, 64, 151936, 32768, 1e-6f, 1e6f, RopeScaling.NONE,
                EnumSet.of(LayerKind.WQ, LayerKind.WK, LayerKind.WV), true));
    }

    @Test
    void mistralV03AndV01() throws Exception { // mistralai/Mistral-7B-v0.3, then v0.1's 4096-token sliding window
        String v03 = """
                {"architectures": ["MistralForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2,
                 "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 14336,
                 "max_position_embeddings": 32768, "model_type": "mistral", "num_attention_heads": 32, "num_hidden_layers": 32,
                 "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 1000000.0, "sliding_window": null,
                 "tie_word_embeddings": false, "torch_dtype": "bfloat16", "transformers_version": "4.42.0.dev0",
                 "use_cache": true, "vocab_size": 32768}
                """;
        assertThat(read(v03, true)).isEqualTo(new LlamaConfig("mistral", 4096, 14336, 32, 32, 8, 128, 32768, 32768, 1e-5f, 1e6f,
                RopeScaling.NONE, Set.of(), false));
        String v01 = v03.replace("\"sliding_window\": null", "\"sliding_window\": 4096").replace("1000000.0", "10000.0");
        assertThatThrownBy(() -> read(v01, true)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("config.json").hasMessageContaining("sliding_window: 4096 is shorter than the context");
    }

    @Test
    void llama2() throws Exception { // meta-llama/Llama-2-7b-hf (no rope_theta: 10000)
        LlamaConfig c = read("""
                {"architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
                 "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 11008, "max_position_embeddings": 4096,
                 "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
                 "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": null, "tie_word_embeddings": false,
                 "torch_dtype": "float16", "transformers_version": "4.31.0.dev0", "use_cache": true, "vocab_size": 32000}
                """, true);
        assertThat(c).isEqualTo(new LlamaConfig("llama", 4096, 11008, 32, 32, 32, 128, 32000, 4096, 1e-5f, 10000f, RopeScaling.NONE, Set.of(), false));
    }

    @Test
    void phi3IsRefusedSayingWhy() { // microsoft/Phi-3-mini-4k-instruct (shortened: the refusal comes from model_type)
        assertThatThrownBy(() -> read("""
                {"architectures": ["Phi3ForCausalLM"], "hidden_size": 3072, "intermediate_size": 8192, "model_type": "phi3",
                 "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32, "rope_scaling": null,
                 "sliding_window": 2047, "max_position_embeddings": 4096, "vocab_size": 32064}
                """, true)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("config.json").hasMessageContaining("model_type")
                .hasMessageContaining("fused qkv_proj and gate_up_proj");
    }
}
