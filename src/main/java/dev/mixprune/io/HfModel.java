package dev.mixprune.io;

import dev.mixprune.tokenizer.Tokenizer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.family.HfConfig;
import dev.mixprune.model.family.ModelFamilies;
import dev.mixprune.model.family.ModelFamily;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An HF model directory: config.json + one or more *.safetensors (+ tokenizer files). The family
 * comes from config.json's {@code model_type} (absent: llama); its tensor names and config keys are
 * the family's ({@link ModelFamily#hfName}, {@link ModelFamily#fromHf}). HF stores q/k in
 * rotate_half row order; readers and writers convert ({@link RopePermutation}).
 */
public final class HfModel {
    private HfModel() {}

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

    /** The family config.json names by {@code model_type} (llama when absent). */
    public static ModelFamily family(Path dir, Map<String, Object> cfg) {
        Path f = dir.resolve(CONFIG);
        Object mt = cfg.get("model_type");
        if (mt == null) return ModelFamilies.byId(LlamaConfig.LLAMA);
        if (!(mt instanceof String s)) throw BadInputException.in(f, "field model_type: expected a string, found " + mt);
        return ModelFamilies.forHfModelType(s).orElseThrow(() -> BadInputException.in(f,
                "field model_type: \"" + s + "\" is not a supported model family"
                        + ModelFamilies.whyUnsupported(s).map(why -> ": " + why).orElse("") + " (supported: " + ModelFamilies.hfModelTypes() + ")"));
    }

    public static LlamaConfig config(Path dir, Map<String, Object> cfg, boolean lmHeadPresent) {
        return family(dir, cfg).fromHf(new HfConfig(dir.resolve(CONFIG), cfg), lmHeadPresent);
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

    /** The safetensors {@code __metadata__} this writer puts in model.safetensors. */
    static final Map<String, String> WEIGHTS_METADATA = Map.of("format", "pt");

    /** The files of an HF directory that describe its tokenizer and generation, copied as they are when a model is written from one. */
    public static final List<String> COPIED_FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json");

    /**
     * config.json and (when {@code tokenizer} is given) its files, each written atomically; after
     * the weights. When the model was read from an HF directory {@code from} (else null), its
     * {@link #COPIED_FILES} are copied as they are; a SentencePiece tokenizer is written as
     * tokenizer.model, a byte-level one as tokenizer.json + tokenizer_config.json unless the input's
     * own tokenizer.json was copied ({@link HfTokenizerFiles}).
     */
    static void writeConfigAndTokenizer(Path dir, ObjectNode cfg, Tokenizer tokenizer, Path from) throws IOException {
        AtomicFiles.write(dir.resolve(CONFIG), JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(cfg));
        boolean copiedTokenizerJson = false;
        if (from != null && Files.isDirectory(from) && !Files.isSameFile(from, dir)) {
            for (String name : COPIED_FILES) {
                Path src = from.resolve(name);
                if (Files.isRegularFile(src)) {
                    AtomicFiles.write(dir.resolve(name), Files.readAllBytes(src));
                    copiedTokenizerJson |= name.equals("tokenizer.json");
                }
            }
        }
        if (tokenizer instanceof dev.mixprune.tokenizer.SentencePieceTokenizer || (tokenizer != null && !copiedTokenizerJson)) HfTokenizerFiles.write(tokenizer, dir);
    }

    /**
     * config.json for a model: {@code extraConfig} kept, the family's identity (model_type and
     * architectures, unless the input already names this family) and the keys derived from the
     * config and dtype written over it.
     */
    static ObjectNode configJson(LlamaConfig c, Map<String, Object> extraConfig, TensorDType dtype, Tokenizer tokenizer) {
        ModelFamily fam = ModelFamilies.of(c);
        ObjectNode cfg = JSON.createObjectNode();
        if (extraConfig != null) extraConfig.forEach((k, v) -> cfg.set(k, JSON.valueToTree(v)));
        if (!cfg.has("architectures")) cfg.putArray("architectures").add(fam.hfArchitecture());
        JsonNode mt = cfg.get("model_type");
        cfg.put("model_type", mt != null && mt.isTextual() && fam.hfModelTypes().contains(mt.asText()) ? mt.asText() : fam.hfModelTypes().getFirst());
        fam.hfConfigKeys(c).forEach((k, v) -> cfg.set(k, JSON.valueToTree(v)));
        if (tokenizer != null && tokenizer.specialTokens().hasBos() && !cfg.has("bos_token_id")) cfg.put("bos_token_id", tokenizer.specialTokens().bos());
        if (tokenizer != null && tokenizer.specialTokens().hasEos() && !cfg.has("eos_token_id")) cfg.put("eos_token_id", tokenizer.specialTokens().eos());
        cfg.put("torch_dtype", dtype == TensorDType.F32 ? "float32" : "float16");
        return cfg;
    }
}
