package dev.mixprune.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixprune.BadInputException;
import dev.mixprune.json.JsonChecks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * The special tokens of a tokenizer in a Hugging Face directory, from the files beside it, each
 * optional: tokenizer_config.json ({@code bos_token}, {@code eos_token}, {@code unk_token},
 * {@code pad_token}, {@code add_bos_token}, {@code add_eos_token}), special_tokens_map.json,
 * config.json and generation_config.json ({@code *_token_id}, an int or a list of ints), and the
 * tokenizer.json post-processor (a {@code TemplateProcessing} whose single-sequence template starts
 * with a special token adds that token as BOS). The first source that names a token wins, in that
 * order, as llama.cpp's converter reads them.
 *
 * <p>End of generation: EOS, every {@code eos_token_id} of config.json and generation_config.json
 * (Llama 3.1: 128001, 128008, 128009), and added tokens whose text is an end-of-turn marker
 * ({@link #END_OF_GENERATION_TEXTS}, the list llama.cpp uses).
 */
public final class HfSpecialTokens {
    /** Texts of tokens that end a generation (llama.cpp src/llama-vocab.cpp's end-of-generation list, less tool/FIM markers). */
    public static final List<String> END_OF_GENERATION_TEXTS = List.of("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|end_of_text|>", "<EOT>", "</s>", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>");

    private HfSpecialTokens() {}

    /** Fallbacks when no file names a token: ids (or {@link SpecialTokens#NONE}) and whether BOS is added. */
    public record Defaults(int bos, int eos, int unk, int pad, boolean addBos) {
        public static Defaults none(boolean addBos) { return new Defaults(SpecialTokens.NONE, SpecialTokens.NONE, SpecialTokens.NONE, SpecialTokens.NONE, addBos); }
    }

    /**
     * @param dir           the directory holding the tokenizer (its json files are read when present); may be null
     * @param tokenizerJson tokenizer.json's root, or null
     * @param idOf          id of a token text, -1 if the tokenizer has none
     * @param addedTexts    ids and texts of the added / control tokens (for the end-of-generation texts)
     */
    public static SpecialTokens resolve(Path dir, JsonNode tokenizerJson, ToIntFunction<String> idOf, List<AddedToken> addedTexts,
                                        Defaults defaults) throws IOException {
        Sources s = new Sources(dir);
        JsonNode template = template(tokenizerJson);
        int bos = first(s.token("bos", idOf), s.id("bos"), templateFirst(template, tokenizerJson, idOf), defaults.bos());
        int eos = first(s.token("eos", idOf), s.id("eos"), templateLast(template, tokenizerJson, idOf), defaults.eos());
        int unk = first(s.token("unk", idOf), modelUnk(tokenizerJson, idOf), SpecialTokens.NONE, defaults.unk());
        int pad = first(s.token("pad", idOf), s.id("pad"), SpecialTokens.NONE, defaults.pad());

        Boolean addBos = s.flag("add_bos_token");
        if (addBos == null && template != null) addBos = templateFirst(template, tokenizerJson, idOf) != SpecialTokens.NONE;
        if (addBos == null) addBos = defaults.addBos();
        Boolean addEos = s.flag("add_eos_token");
        if (addEos == null && template != null) addEos = eos != SpecialTokens.NONE && templateLast(template, tokenizerJson, idOf) == eos;
        if (addEos == null) addEos = false;

        List<Integer> eog = new ArrayList<>(s.allIds("eos"));
        for (AddedToken a : addedTexts) if (END_OF_GENERATION_TEXTS.contains(a.content())) eog.add(a.id());
        return new SpecialTokens(bos, eos, unk, pad, addBos && bos != SpecialTokens.NONE, addEos && eos != SpecialTokens.NONE, eog);
    }

    private static int first(int... candidates) {
        for (int c : candidates) if (c != SpecialTokens.NONE) return c;
        return SpecialTokens.NONE;
    }

    /** The json files of a directory. */
    private static final class Sources {
        final JsonNode tokenizerConfig, specialTokensMap, config, generationConfig;
        final Path tokenizerConfigPath, specialTokensMapPath;

        Sources(Path dir) throws IOException {
            tokenizerConfigPath = dir == null ? null : dir.resolve("tokenizer_config.json");
            specialTokensMapPath = dir == null ? null : dir.resolve("special_tokens_map.json");
            tokenizerConfig = read(tokenizerConfigPath);
            specialTokensMap = read(specialTokensMapPath);
            config = read(dir == null ? null : dir.resolve("config.json"));
            generationConfig = read(dir == null ? null : dir.resolve("generation_config.json"));
        }

        /** The id of {@code <kind>_token} in tokenizer_config.json, else special_tokens_map.json; NONE if neither names one. */
        int token(String kind, ToIntFunction<String> idOf) {
            int id = token(tokenizerConfig, tokenizerConfigPath, kind, idOf);
            return id != SpecialTokens.NONE ? id : token(specialTokensMap, specialTokensMapPath, kind, idOf);
        }

        private static int token(JsonNode root, Path file, String kind, ToIntFunction<String> idOf) {
            if (root == null) return SpecialTokens.NONE;
            JsonNode v = root.get(kind + "_token");
            String text = v == null ? null : v.isTextual() ? v.asText() : v.isObject() && v.path("content").isTextual() ? v.path("content").asText() : null;
            if (text == null) return SpecialTokens.NONE;
            int id = idOf.applyAsInt(text);
            if (id < 0) throw BadInputException.in(file, "field " + kind + "_token: \"" + text + "\" is not a token of the tokenizer");
            return id;
        }

        /** {@code <kind>_token_id} of config.json, else generation_config.json (a list: its first id). */
        int id(String kind) {
            List<Integer> c = ids(config, kind), g = ids(generationConfig, kind);
            return !c.isEmpty() ? c.getFirst() : !g.isEmpty() ? g.getFirst() : SpecialTokens.NONE;
        }

        List<Integer> allIds(String kind) {
            List<Integer> all = new ArrayList<>(ids(config, kind));
            all.addAll(ids(generationConfig, kind));
            return all;
        }

        private static List<Integer> ids(JsonNode root, String kind) {
            if (root == null) return List.of();
            JsonNode v = root.get(kind + "_token_id");
            List<Integer> out = new ArrayList<>();
            if (v != null && v.isIntegralNumber() && v.asInt() >= 0) out.add(v.asInt());
            if (v != null && v.isArray()) for (JsonNode e : v) if (e.isIntegralNumber() && e.asInt() >= 0) out.add(e.asInt());
            return out;
        }

        Boolean flag(String name) {
            JsonNode v = tokenizerConfig == null ? null : tokenizerConfig.get(name);
            return v != null && v.isBoolean() ? v.asBoolean() : null;
        }

        private static JsonNode read(Path file) throws IOException {
            if (file == null || !Files.isRegularFile(file)) return null;
            JsonNode n = JsonChecks.readTree(file, "invalid JSON");
            if (n == null || !n.isObject()) throw BadInputException.in(file, "expected a JSON object");
            return n;
        }
    }

    /** The post-processor's TemplateProcessing (itself or inside a Sequence), or null. */
    private static JsonNode template(JsonNode tokenizerJson) {
        if (tokenizerJson == null) return null;
        JsonNode p = tokenizerJson.path("post_processor");
        if ("TemplateProcessing".equals(p.path("type").asText())) return p;
        for (JsonNode q : p.path("processors")) if ("TemplateProcessing".equals(q.path("type").asText())) return q;
        return null;
    }

    private static int templateFirst(JsonNode template, JsonNode root, ToIntFunction<String> idOf) {
        if (template == null) return SpecialTokens.NONE;
        JsonNode single = template.path("single");
        return single.size() > 1 ? templateToken(template, single.get(0), idOf) : SpecialTokens.NONE;
    }

    private static int templateLast(JsonNode template, JsonNode root, ToIntFunction<String> idOf) {
        if (template == null) return SpecialTokens.NONE;
        JsonNode single = template.path("single");
        return single.size() > 1 ? templateToken(template, single.get(single.size() - 1), idOf) : SpecialTokens.NONE;
    }

    /** The id of a template item {@code {"SpecialToken": {"id": name}}}: the template's own table, else the name as a token. */
    private static int templateToken(JsonNode template, JsonNode item, ToIntFunction<String> idOf) {
        JsonNode st = item.path("SpecialToken");
        if (!st.path("id").isTextual()) return SpecialTokens.NONE;
        String name = st.path("id").asText();
        JsonNode ids = template.path("special_tokens").path(name).path("ids");
        if (ids.isArray() && ids.size() == 1 && ids.get(0).isIntegralNumber()) return ids.get(0).asInt();
        int id = idOf.applyAsInt(name);
        return id >= 0 ? id : SpecialTokens.NONE;
    }

    private static int modelUnk(JsonNode root, ToIntFunction<String> idOf) {
        if (root == null || !root.path("model").path("unk_token").isTextual()) return SpecialTokens.NONE;
        int id = idOf.applyAsInt(root.path("model").path("unk_token").asText());
        return id >= 0 ? id : SpecialTokens.NONE;
    }
}
