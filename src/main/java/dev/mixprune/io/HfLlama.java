package dev.mixprune.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * HuggingFace LLaMA directory: config.json + one or more *.safetensors (+ tokenizer.model).
 * Names: model.embed_tokens, model.layers.N.{self_attn.{q,k,v,o}_proj, mlp.{gate,down,up}_proj,
 * input_layernorm, post_attention_layernorm}, model.norm, lm_head (absent or
 * tie_word_embeddings ⇒ shared classifier). wq/wk are converted between HF's rotate_half row
 * order and the interleaved order used everywhere else ({@link RopePermutation}).
 */
public final class HfLlama {
    private HfLlama() {}

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String TOKENIZER = "tokenizer.model";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** config.json as a plain map (kept as metadata so a writer can pass unknown keys through). */
    public static Map<String, Object> readConfigJson(Path dir) throws IOException {
        Path f = dir.resolve(CONFIG);
        if (!Files.isRegularFile(f)) throw BadInputException.in(dir, "HF model directory has no " + CONFIG);
        JsonNode n;
        try {
            n = JSON.readTree(f.toFile());
        } catch (JsonProcessingException e) {
            throw BadInputException.in(f, "invalid JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) throw BadInputException.in(f, "expected a JSON object");
        @SuppressWarnings("unchecked") Map<String, Object> m = JSON.convertValue(n, LinkedHashMap.class);
        return m;
    }

    public static LlamaConfig config(Path dir, Map<String, Object> cfg, boolean lmHeadPresent) {
        Path f = dir.resolve(CONFIG);
        Object mt = cfg.get("model_type");
        if (mt != null && !"llama".equals(mt)) throw BadInputException.in(f, "field model_type: expected \"llama\", found \"" + mt + "\"");
        Object rs = cfg.get("rope_scaling");
        if (rs != null) throw BadInputException.in(f, "field rope_scaling: " + rs + " is not supported (plain RoPE only)");
        int heads = intField(f, cfg, "num_attention_heads", -1);
        boolean tie = Boolean.TRUE.equals(cfg.get("tie_word_embeddings"));
        try {
            return new LlamaConfig(intField(f, cfg, "hidden_size", -1), intField(f, cfg, "intermediate_size", -1), intField(f, cfg, "num_hidden_layers", -1),
                    heads, intField(f, cfg, "num_key_value_heads", heads), intField(f, cfg, "vocab_size", -1), intField(f, cfg, "max_position_embeddings", 2048),
                    floatField(f, cfg, "rms_norm_eps", 1e-6f), floatField(f, cfg, "rope_theta", LlamaConfig.DEFAULT_ROPE_THETA), tie || !lmHeadPresent);
        } catch (IllegalArgumentException e) {
            throw BadInputException.in(f, e.getMessage());
        }
    }

    private static int intField(Path f, Map<String, Object> cfg, String key, int dflt) {
        Object v = cfg.get(key);
        if (v == null) {
            if (dflt >= 0) return dflt;
            throw BadInputException.in(f, "missing field " + key);
        }
        if (!(v instanceof Integer i) || i <= 0) throw BadInputException.in(f, "field " + key + ": expected a positive integer, found " + v);
        return i;
    }

    private static float floatField(Path f, Map<String, Object> cfg, String key, float dflt) {
        Object v = cfg.get(key);
        if (v == null) return dflt;
        if (!(v instanceof Number n)) throw BadInputException.in(f, "field " + key + ": expected a number, found " + v);
        return n.floatValue();
    }

    /** Every *.safetensors in the directory, sorted by name (sharded checkpoints). */
    public static List<Path> weightFiles(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        }
        if (files.isEmpty()) throw BadInputException.in(dir, "HF model directory has no *.safetensors file");
        return files;
    }

    public static LlamaWeights read(Path dir) throws IOException {
        Map<String, Object> cfg = readConfigJson(dir);
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> owner = new HashMap<>();
            for (Path p : weightFiles(dir)) {
                SafetensorsFile sf = SafetensorsFile.open(p);
                files.add(sf);
                for (String n : sf.entries().keySet()) {
                    SafetensorsFile prev = owner.put(n, sf);
                    if (prev != null) throw BadInputException.in(p, "tensor '" + n + "' also appears in " + prev.path());
                }
            }
            LlamaConfig c = config(dir, cfg, owner.containsKey("lm_head.weight"));
            Tensors t = new Tensors(dir, owner);
            Matrix emb = t.matrix("model.embed_tokens.weight", c.vocabSize(), c.dim());
            List<BlockWeights> blocks = new ArrayList<>();
            for (int l = 0; l < c.nLayers(); l++) {
                String p = "model.layers." + l + ".";
                EnumMap<LayerKind, Matrix> lin = new EnumMap<>(LayerKind.class);
                for (LayerKind k : LayerKind.values()) lin.put(k, t.matrix(p + k.hfName() + ".weight", c.rowsOf(k), c.colsOf(k)));
                lin.put(LayerKind.WQ, RopePermutation.fromHf(lin.get(LayerKind.WQ), c.nHeads()));
                lin.put(LayerKind.WK, RopePermutation.fromHf(lin.get(LayerKind.WK), c.nKvHeads()));
                blocks.add(new BlockWeights(t.vector(p + "input_layernorm.weight", c.dim()), t.vector(p + "post_attention_layernorm.weight", c.dim()), lin));
            }
            float[] norm = t.vector("model.norm.weight", c.dim());
            Matrix cls = c.sharedClassifier() ? emb : t.matrix("lm_head.weight", c.vocabSize(), c.dim());
            return new LlamaWeights(c, emb, blocks, norm, cls);
        } finally {
            for (SafetensorsFile sf : files) sf.close();
        }
    }

    private record Tensors(Path dir, Map<String, SafetensorsFile> owner) {
        SafetensorsFile.Entry entry(String name) {
            SafetensorsFile f = owner.get(name);
            if (f == null) throw BadInputException.in(dir, "missing tensor '" + name + "' in the *.safetensors files");
            return f.entry(name);
        }

        Matrix matrix(String name, int rows, int cols) {
            SafetensorsFile.Entry e = entry(name);
            if (e.shape().length != 2 || e.shape()[0] != rows || e.shape()[1] != cols) {
                throw BadInputException.in(owner.get(name).path(), "tensor '" + name + "' has shape " + e.shapeString() + ", expected [" + rows + ", " + cols + "] (config.json)");
            }
            return new Matrix(rows, cols, owner.get(name).readFloats(e));
        }

        float[] vector(String name, int n) {
            SafetensorsFile.Entry e = entry(name);
            if (e.shape().length != 1 || e.shape()[0] != n) throw BadInputException.in(owner.get(name).path(), "tensor '" + name + "' has shape " + e.shapeString() + ", expected [" + n + "]");
            return owner.get(name).readFloats(e);
        }
    }

    /**
     * Writes config.json, model.safetensors and (when {@code vocab} is given) tokenizer.model into
     * {@code dir}. {@code extraConfig} (e.g. a loaded config.json) is kept; the keys derived from
     * the model config overwrite it.
     */
    public static void write(Path dir, LlamaWeights w, Tokenizer tokenizer, Map<String, Object> extraConfig, TensorDType dtype) throws IOException {
        Files.createDirectories(dir);
        LlamaConfig c = w.config();
        ObjectNode cfg = configJson(c, extraConfig, dtype, tokenizer);
        List<SafetensorsWriter.Tensor> t = new ArrayList<>();
        t.add(mat("model.embed_tokens.weight", w.tokenEmbedding(), dtype));
        for (int l = 0; l < c.nLayers(); l++) {
            BlockWeights b = w.block(l);
            String p = "model.layers." + l + ".";
            t.add(new SafetensorsWriter.Tensor(p + "input_layernorm.weight", new long[]{c.dim()}, dtype, b.attNorm()));
            t.add(new SafetensorsWriter.Tensor(p + "post_attention_layernorm.weight", new long[]{c.dim()}, dtype, b.ffnNorm()));
            for (LayerKind k : LayerKind.values()) {
                Matrix m = b.linear(k);
                if (k == LayerKind.WQ) m = RopePermutation.toHf(m, c.nHeads());
                if (k == LayerKind.WK) m = RopePermutation.toHf(m, c.nKvHeads());
                t.add(mat(p + k.hfName() + ".weight", m, dtype));
            }
        }
        t.add(new SafetensorsWriter.Tensor("model.norm.weight", new long[]{c.dim()}, dtype, w.finalNorm()));
        if (!c.sharedClassifier()) t.add(mat("lm_head.weight", w.classifier(), dtype));
        SafetensorsWriter.write(dir.resolve(WEIGHTS), t, WEIGHTS_METADATA);
        writeConfigAndTokenizer(dir, cfg, tokenizer);
    }

    /** The safetensors {@code __metadata__} this writer puts in model.safetensors. */
    static final Map<String, String> WEIGHTS_METADATA = Map.of("format", "pt");

    /** config.json and (when {@code tokenizer} is given) its files (HfTokenizerFiles), each written atomically; after the weights. */
    static void writeConfigAndTokenizer(Path dir, ObjectNode cfg, Tokenizer tokenizer) throws IOException {
        AtomicFiles.write(dir.resolve(CONFIG), JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(cfg));
        if (tokenizer != null) HfTokenizerFiles.write(tokenizer, dir);
    }

    /** config.json for a model: {@code extraConfig} kept, the keys derived from the config and dtype written over it. */
    static ObjectNode configJson(LlamaConfig c, Map<String, Object> extraConfig, TensorDType dtype, Tokenizer tokenizer) {
        ObjectNode cfg = JSON.createObjectNode();
        if (extraConfig != null) extraConfig.forEach((k, v) -> cfg.set(k, JSON.valueToTree(v)));
        if (!cfg.has("architectures")) cfg.putArray("architectures").add("LlamaForCausalLM");
        cfg.put("model_type", "llama");
        cfg.put("hidden_size", c.dim());
        cfg.put("intermediate_size", c.hiddenDim());
        cfg.put("num_hidden_layers", c.nLayers());
        cfg.put("num_attention_heads", c.nHeads());
        cfg.put("num_key_value_heads", c.nKvHeads());
        cfg.put("vocab_size", c.vocabSize());
        cfg.put("max_position_embeddings", c.seqLen());
        // Decimal of the float, so 1e-5f is written "1.0E-5" (reads back to the same float).
        cfg.put("rms_norm_eps", Double.parseDouble(Float.toString(c.normEps())));
        cfg.put("rope_theta", Double.parseDouble(Float.toString(c.ropeTheta())));
        cfg.put("tie_word_embeddings", c.sharedClassifier());
        cfg.put("hidden_act", "silu");
        if (tokenizer != null && tokenizer.specialTokens().hasBos() && !cfg.has("bos_token_id")) cfg.put("bos_token_id", tokenizer.specialTokens().bos());
        if (tokenizer != null && tokenizer.specialTokens().hasEos() && !cfg.has("eos_token_id")) cfg.put("eos_token_id", tokenizer.specialTokens().eos());
        cfg.put("torch_dtype", dtype == TensorDType.F32 ? "float32" : "float16");
        return cfg;
    }

    private static SafetensorsWriter.Tensor mat(String name, Matrix m, TensorDType dtype) {
        return new SafetensorsWriter.Tensor(name, new long[]{m.rows(), m.cols()}, dtype, m.data());
    }
}
