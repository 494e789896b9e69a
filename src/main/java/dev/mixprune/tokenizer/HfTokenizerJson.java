package dev.mixprune.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixprune.BadInputException;
import dev.mixprune.json.JsonChecks;

import java.io.IOException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} (with the special-token files beside it, see
 * {@link HfSpecialTokens}). {@code model.type} must be BPE; a pre-tokenizer with a ByteLevel step
 * makes it byte-level BPE ({@link ByteLevelBpeTokenizer}, protocol T2), otherwise it is read as
 * SentencePiece-style BPE ({@link SentencePieceJson}, protocol T). Every component this project
 * does not implement is refused with the file, the field and what is supported.
 */
public final class HfTokenizerJson {
    private HfTokenizerJson() {}

    /** Reads {@code file}; tokenizer_config.json, config.json and generation_config.json are looked for in its directory. */
    public static Tokenizer read(Path file) throws IOException {
        JsonNode root = JsonChecks.readTree(file, "invalid JSON");
        if (root == null || !root.isObject()) throw BadInputException.in(file, "expected a JSON object");
        Path dir = file.toAbsolutePath().getParent();
        JsonNode model = root.path("model");
        String type = model.path("type").asText("");
        if (!type.equals("BPE")) {
            throw BadInputException.in(file, "field model.type: " + (type.isEmpty() ? "missing" : "\"" + type + "\"")
                    + " is not supported (supported: \"BPE\", byte-level as in Llama 3 / Qwen2 / SmolLM, or SentencePiece-style as in Llama 2)");
        }
        if (hasStep(root.path("pre_tokenizer"), "ByteLevel")) return byteLevel(file, dir, root, preTokenizer(file, root.path("pre_tokenizer"), "pre_tokenizer"));
        if (root.path("decoder").toString().contains("\"ByteLevel\"")) {
            throw BadInputException.in(file, "field decoder is ByteLevel but pre_tokenizer has no ByteLevel step: not a byte-level BPE this project can run");
        }
        return sentencePiece(file, dir, root);
    }

    private static Tokenizer sentencePiece(Path file, Path dir, JsonNode root) throws IOException {
        Vocabulary v = SentencePieceJson.vocabulary(file, root);
        List<AddedToken> control = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) if (v.tokenType(i) == Vocabulary.TYPE_CONTROL) control.add(AddedToken.plain(i, v.sentencePiece(i), true));
        Map<String, Integer> ids = new HashMap<>();
        for (int i = v.size() - 1; i >= 0; i--) ids.put(v.sentencePiece(i), i);
        // Without configs, SentencePiece's conventions (LlamaTokenizer's defaults): <s> is BOS and is added.
        SpecialTokens s = HfSpecialTokens.resolve(dir, root, t -> ids.getOrDefault(t, -1), control,
                new HfSpecialTokens.Defaults(ids.getOrDefault("<s>", -1), ids.getOrDefault("</s>", -1), ids.getOrDefault("<unk>", -1), -1, true));
        return new SentencePieceTokenizer(v, s);
    }

    private static Tokenizer byteLevel(Path file, Path dir, JsonNode root, PreTokenizer pre) throws IOException {
        JsonNode model = root.path("model");
        for (String f : new String[]{"continuing_subword_prefix", "end_of_word_suffix"}) {
            JsonNode v = model.path(f);
            if (!v.isMissingNode() && !v.isNull() && !v.asText().isEmpty()) {
                throw BadInputException.in(file, "field model." + f + " = " + v + " is not supported in byte-level BPE (expected null)");
            }
        }
        if (!model.path("dropout").isMissingNode() && !model.path("dropout").isNull() && model.path("dropout").asDouble() != 0) {
            throw BadInputException.in(file, "field model.dropout = " + model.path("dropout") + ": BPE dropout is random; expected null");
        }
        if (model.path("byte_fallback").asBoolean(false)) {
            throw BadInputException.in(file, "field model.byte_fallback = true together with a ByteLevel pre-tokenizer is not supported");
        }
        Map<String, Integer> vocab = vocab(file, model.path("vocab"));
        List<String[]> merges = merges(file, model.path("merges"));
        List<AddedToken> added = addedTokens(file, root.path("added_tokens"));
        TextNormalizer normalizer = root.path("normalizer").isNull() || root.path("normalizer").isMissingNode() ? TextNormalizer.NONE
                : normalizer(file, root.path("normalizer"), "normalizer");
        int unk = model.path("unk_token").isTextual() ? vocab.getOrDefault(model.path("unk_token").asText(), -1) : -1;
        BpeModel bpe;
        try {
            bpe = new BpeModel(vocab, merges, model.path("ignore_merges").asBoolean(false), unk);
        } catch (IllegalArgumentException e) {
            throw BadInputException.in(file, "field model." + e.getMessage());
        }
        LlamaCppPre named = LlamaCppPre.recognise(normalizer, pre).orElse(null);
        Map<String, Integer> addedIds = new HashMap<>();
        for (AddedToken a : added.reversed()) addedIds.put(a.content(), a.id());
        SpecialTokens s = HfSpecialTokens.resolve(dir, root, t -> addedIds.getOrDefault(t, vocab.getOrDefault(t, -1)), added,
                HfSpecialTokens.Defaults.none(named != null && named.addBos()));
        try {
            return new ByteLevelBpeTokenizer(bpe, added, normalizer, pre, s, named == null ? null : named.ggufName());
        } catch (IllegalArgumentException e) {
            throw BadInputException.in(file, e.getMessage());
        }
    }

    private static Map<String, Integer> vocab(Path file, JsonNode vocab) {
        if (!vocab.isObject()) throw BadInputException.in(file, "field model.vocab: expected an object {token: id}");
        Map<String, Integer> out = new HashMap<>(vocab.size() * 2);
        java.util.BitSet seen = new java.util.BitSet(vocab.size());
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode id = e.getValue();
            if (!id.canConvertToInt() || id.asInt() < 0) throw BadInputException.in(file, "field model.vocab \"" + e.getKey() + "\": id must be a non-negative integer, found " + id);
            if (seen.get(id.asInt())) throw BadInputException.in(file, "field model.vocab: id " + id.asInt() + " is given to two tokens (one is \"" + e.getKey() + "\")");
            seen.set(id.asInt());
            out.put(e.getKey(), id.asInt());
        }
        return out;
    }

    private static List<String[]> merges(Path file, JsonNode merges) {
        if (!merges.isArray()) throw BadInputException.in(file, "field model.merges: expected an array");
        List<String[]> out = new ArrayList<>(merges.size());
        int i = 0;
        for (JsonNode m : merges) {
            String[] pair;
            if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                pair = new String[]{m.get(0).asText(), m.get(1).asText()};
            } else if (m.isTextual() && m.asText().indexOf(' ', 1) > 0) {
                String t = m.asText();
                int sp = t.indexOf(' ', 1);
                pair = new String[]{t.substring(0, sp), t.substring(sp + 1)};
            } else {
                throw BadInputException.in(file, "field model.merges[" + i + "]: expected \"left right\" or [left, right], found " + m);
            }
            out.add(pair);
            i++;
        }
        return out;
    }

    private static List<AddedToken> addedTokens(Path file, JsonNode list) {
        List<AddedToken> out = new ArrayList<>();
        if (list.isMissingNode() || list.isNull()) return out;
        if (!list.isArray()) throw BadInputException.in(file, "field added_tokens: expected an array");
        int i = 0;
        for (JsonNode a : list) {
            String at = "field added_tokens[" + i++ + "]";
            if (!a.path("id").canConvertToInt() || a.path("id").asInt() < 0) throw BadInputException.in(file, at + ".id: expected a non-negative integer, found " + a.path("id"));
            if (!a.path("content").isTextual() || a.path("content").asText().isEmpty()) throw BadInputException.in(file, at + ".content: expected a non-empty string");
            out.add(new AddedToken(a.path("id").asInt(), a.path("content").asText(), a.path("special").asBoolean(false), a.path("lstrip").asBoolean(false),
                    a.path("rstrip").asBoolean(false), a.path("single_word").asBoolean(false), a.path("normalized").asBoolean(false)));
        }
        return out;
    }

    static TextNormalizer normalizer(Path file, JsonNode n, String field) {
        String type = n.path("type").asText("");
        return switch (type) {
            case "NFC", "NFD", "NFKC", "NFKD" -> new TextNormalizer.UnicodeForm(Normalizer.Form.valueOf(type));
            case "Lowercase" -> new TextNormalizer.Lowercase();
            case "Sequence" -> {
                List<TextNormalizer> steps = new ArrayList<>();
                int i = 0;
                for (JsonNode s : n.path("normalizers")) steps.add(normalizer(file, s, field + ".normalizers[" + i++ + "]"));
                yield steps.isEmpty() ? TextNormalizer.NONE : new TextNormalizer.Sequence(steps);
            }
            default -> throw BadInputException.in(file, "field " + field + ".type: \"" + type
                    + "\" is not supported in byte-level BPE (supported: NFC, NFD, NFKC, NFKD, Lowercase, Sequence)");
        };
    }

    /** Whether a pre-tokenizer (or a Sequence of them, nested) has a step of this type. */
    private static boolean hasStep(JsonNode n, String type) {
        if (type.equals(n.path("type").asText())) return true;
        for (JsonNode s : n.path("pretokenizers")) if (hasStep(s, type)) return true;
        return false;
    }

    static PreTokenizer preTokenizer(Path file, JsonNode n, String field) {
        String type = n.path("type").asText("");
        switch (type) {
            case "ByteLevel":
                return new PreTokenizer.ByteLevel(n.path("add_prefix_space").asBoolean(false), n.path("use_regex").asBoolean(true),
                        n.path("trim_offsets").asBoolean(true));
            case "Digits":
                return new PreTokenizer.Digits(n.path("individual_digits").asBoolean(false));
            case "Split": {
                JsonNode p = n.path("pattern");
                boolean regex = p.has("Regex");
                JsonNode src = regex ? p.path("Regex") : p.path("String");
                if (!src.isTextual()) throw BadInputException.in(file, "field " + field + ".pattern: expected {\"Regex\": ...} or {\"String\": ...}");
                PreTokenizer.Behavior b = PreTokenizer.Behavior.parse(n.path("behavior").asText(""));
                if (b == null) throw BadInputException.in(file, "field " + field + ".behavior: " + n.path("behavior")
                        + " is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
                try {
                    return PreTokenizer.Split.of(src.asText(), regex, b, n.path("invert").asBoolean(false));
                } catch (IllegalArgumentException e) {
                    throw BadInputException.in(file, "field " + field + ".pattern: " + e.getMessage());
                }
            }
            case "Sequence": {
                List<PreTokenizer> steps = new ArrayList<>();
                int i = 0;
                for (JsonNode s : n.path("pretokenizers")) steps.add(preTokenizer(file, s, field + ".pretokenizers[" + i++ + "]"));
                return new PreTokenizer.Sequence(steps);
            }
            default:
                throw BadInputException.in(file, "field " + field + ".type: \"" + type
                        + "\" is not a supported pre-tokenizer (supported: ByteLevel, Split, Digits, Sequence)");
        }
    }
}
