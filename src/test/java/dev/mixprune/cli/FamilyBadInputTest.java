package dev.mixprune.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.family.FamilyModels;
import dev.mixprune.io.GgmlType;
import dev.mixprune.io.GgufFile;
import dev.mixprune.io.GgufTensorWriter;
import dev.mixprune.io.GgufValue;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.TensorDType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 10, acceptance 4 (model side): inputs a family cannot run exit with code 3 and a message
 * naming the file and the field or tensor, instead of loading and computing something else.
 */
class FamilyBadInputTest {
    @TempDir Path tmp;

    record Result(int code, String err) {}

    static Result inspect(Path model) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setOut(new PrintWriter(new ByteArrayOutputStream(), true));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        int code = cl.execute("inspect", "--model", model.toString());
        return new Result(code, err.toString(StandardCharsets.UTF_8));
    }

    Path hf(String recipe) throws Exception {
        return FamilyModels.writeHf(FamilyModels.byName(recipe).withSmallVocabulary(), 5, tmp.resolve(recipe));
    }

    void editConfig(Path dir, java.util.function.Consumer<ObjectNode> edit) throws Exception {
        ObjectMapper om = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) om.readTree(dir.resolve("config.json").toFile());
        edit.accept(cfg);
        om.writeValue(dir.resolve("config.json").toFile(), cfg);
    }

    void assertBadInput(Path model, String... parts) {
        Result r = inspect(model);
        assertThat(r.code()).as(r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains(parts);
    }

    @Test
    void theGoodModelsLoad() throws Exception {
        for (var r : FamilyModels.allSmallVocabulary()) assertThat(inspect(FamilyModels.writeHf(r, 5, tmp.resolve("ok-" + r.name()))).code()).isZero();
    }

    @Test
    void unknownModelType() throws Exception {
        Path d = hf("llama2");
        editConfig(d, c -> c.put("model_type", "gpt_neox"));
        assertBadInput(d, "config.json", "model_type", "\"gpt_neox\" is not a supported model family", "llama", "qwen2");
        // well-known families we do not read say why (Phi-3's fused projections are out of scope)
        editConfig(d, c -> c.put("model_type", "phi3"));
        assertBadInput(d, "config.json", "model_type", "\"phi3\" is not a supported model family", "fused qkv_proj and gate_up_proj", "llama", "qwen2");
        editConfig(d, c -> c.put("model_type", "mixtral"));
        assertBadInput(d, "config.json", "model_type", "mixture-of-experts");
    }

    @Test
    void unsupportedRopeScaling() throws Exception {
        Path d = hf("llama3");
        editConfig(d, c -> ((ObjectNode) c.get("rope_scaling")).put("rope_type", "yarn"));
        assertBadInput(d, "config.json", "rope_scaling", "yarn", "not supported");
        editConfig(d, c -> c.putObject("rope_scaling").put("type", "dynamic").put("factor", 2.0));
        assertBadInput(d, "config.json", "rope_scaling", "dynamic");
        editConfig(d, c -> c.putObject("rope_scaling").put("rope_type", "longrope").put("factor", 32.0));
        assertBadInput(d, "config.json", "rope_scaling", "longrope", "not supported");
        editConfig(d, c -> c.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0));
        assertBadInput(d, "config.json", "rope_scaling.low_freq_factor");
    }

    @Test
    void slidingWindowShorterThanTheContext() throws Exception {
        Path d = hf("qwen2");
        editConfig(d, c -> c.put("use_sliding_window", true).put("sliding_window", 64));
        assertBadInput(d, "config.json", "sliding_window", "64", "max_position_embeddings 256");
        editConfig(d, c -> c.put("sliding_window", 256));
        assertThat(inspect(d).code()).as("a window covering the context is full attention").isZero();
        Path m = hf("mistral"); // Mistral 7B v0.1: a 4096-token window on a 32768-token context
        editConfig(m, c -> c.put("sliding_window", 128));
        assertBadInput(m, "config.json", "sliding_window: 128 is shorter than the context");
    }

    @Test
    void aTensorTheFamilyDoesNotUse() throws Exception {
        // q_proj.bias in a llama checkpoint (attention_bias false): used to be silently ignored.
        Path q = hf("qwen2");
        editConfig(q, c -> c.put("model_type", "llama").putArray("architectures").add("LlamaForCausalLM"));
        assertBadInput(q, "model.safetensors", "model.layers.0.self_attn.k_proj.bias", "no bias");
        // and in GGUF: a bias only in block 1, or a tensor no family has
        LoadedModel m = ModelLoader.load(hf("llama2"), null);
        Path g = tmp.resolve("good.gguf");
        ModelWriter.write(m, g, ModelFormat.GGUF, TensorDType.F32);
        assertThat(inspect(g).code()).isZero();
        int qDim = m.weights().config().qDim();
        Path odd = rewrite(g, "odd.gguf", meta -> { }, new GgufTensorWriter.Floats("blk.1.attn_q.bias", new long[]{qDim}, GgmlType.F32, new float[qDim]));
        assertBadInput(odd, "odd.gguf", "blk.1.attn_q.bias", "refusing to ignore");
        Path alien = rewrite(g, "alien.gguf", meta -> { }, new GgufTensorWriter.Floats("blk.0.attn_qkv.weight", new long[]{4}, GgmlType.F32, new float[4]));
        assertBadInput(alien, "alien.gguf", "blk.0.attn_qkv.weight");
    }

    /** A copy of GGUF {@code from} with its metadata edited and extra tensors appended. */
    Path rewrite(Path from, String name, java.util.function.Consumer<Map<String, GgufValue>> editMeta, GgufTensorWriter.Entry... extra) throws Exception {
        Path out = tmp.resolve(name);
        try (GgufFile f = GgufFile.open(from)) {
            Map<String, GgufValue> meta = new LinkedHashMap<>(f.metadata());
            editMeta.accept(meta);
            List<GgufTensorWriter.Entry> t = new ArrayList<>();
            for (GgufFile.TensorInfo ti : f.tensorList()) t.add(new GgufTensorWriter.Floats(ti.name(), ti.dims(), ti.type(), f.readFloats(ti)));
            t.addAll(List.of(extra));
            GgufTensorWriter.write(out, meta, t);
        }
        return out;
    }

    @Test
    void aConfigThatContradictsTheTensors() throws Exception {
        Path d = hf("llama3");
        editConfig(d, c -> c.put("num_key_value_heads", 4));
        assertBadInput(d, "model.safetensors", "k_proj.weight", "has shape [32, 64], expected [64, 64]", "config.json");
        editConfig(d, c -> c.put("num_key_value_heads", 2).put("head_dim", 8));
        assertBadInput(d, "q_proj.weight", "expected [64, 64]");
    }

    @Test
    void unsupportedGgufRopeScaling() throws Exception {
        Path g = tmp.resolve("good.gguf");
        ModelWriter.write(ModelLoader.load(hf("llama2"), null), g, ModelFormat.GGUF, TensorDType.F32);
        Path yarn = rewrite(g, "yarn.gguf", meta -> meta.put("llama.rope.scaling.type", GgufValue.ofString("yarn")));
        assertBadInput(yarn, "yarn.gguf", "llama.rope.scaling.type", "yarn", "not supported");
        Path qwen = rewrite(g, "arch.gguf", meta -> meta.put("general.architecture", GgufValue.ofString("phi3")));
        assertBadInput(qwen, "arch.gguf", "general.architecture", "expected one of llama, qwen2", "phi3", "fused qkv_proj");
    }
}
