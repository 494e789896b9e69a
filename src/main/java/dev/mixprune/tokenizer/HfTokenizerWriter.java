package dev.mixprune.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * tokenizer.json and tokenizer_config.json for a byte-level tokenizer (one read from a GGUF has no
 * files of its own), in the layout tokenizers writes: added_tokens, normalizer, pre_tokenizer,
 * post_processor, decoder, model {BPE, vocab, merges as pairs}. Reading them back gives the same
 * tokenizer (ids, special tokens).
 */
public final class HfTokenizerWriter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HfTokenizerWriter() {}

    public static byte[] tokenizerJson(ByteLevelBpeTokenizer t) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (AddedToken a : t.addedTokens().stream().sorted(Comparator.comparingInt(AddedToken::id)).toList()) {
            added.addObject().put("id", a.id()).put("content", a.content()).put("single_word", a.singleWord()).put("lstrip", a.lstrip())
                    .put("rstrip", a.rstrip()).put("normalized", a.normalized()).put("special", a.special());
        }
        root.set("normalizer", JSON.valueToTree(t.normalizer().toJson()));
        root.set("pre_tokenizer", JSON.valueToTree(t.preTokenizer().toJson()));
        Map<String, Object> byteLevel = Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false, "use_regex", false);
        root.set("post_processor", JSON.valueToTree(byteLevel));
        root.set("decoder", JSON.valueToTree(byteLevel));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        if (t.model().unk() >= 0) model.put("unk_token", t.tokenText(t.model().unk()));
        else model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", t.model().ignoreMerges());
        ObjectNode vocab = model.putObject("vocab");
        t.model().vocab().entrySet().stream()
                .filter(e -> t.tokenType(e.getValue()) != TokenType.UNUSED)
                .sorted(Map.Entry.comparingByValue())
                .forEach(e -> vocab.put(e.getKey(), e.getValue()));
        ArrayNode merges = model.putArray("merges");
        for (String[] m : t.merges()) merges.addArray().add(m[0]).add(m[1]);
        return bytes(root);
    }

    /** tokenizer_config.json: the special tokens and whether BOS / EOS are added. */
    public static byte[] tokenizerConfig(Tokenizer t) {
        SpecialTokens s = t.specialTokens();
        ObjectNode root = JSON.createObjectNode();
        root.put("add_bos_token", s.addBos());
        root.put("add_eos_token", s.addEos());
        for (Map.Entry<String, Integer> e : List.of(Map.entry("bos_token", s.bos()), Map.entry("eos_token", s.eos()),
                Map.entry("unk_token", s.unk()), Map.entry("pad_token", s.pad()))) {
            if (e.getValue() >= 0) root.put(e.getKey(), t.tokenText(e.getValue()));
            else root.putNull(e.getKey());
        }
        root.put("clean_up_tokenization_spaces", false);
        root.put("tokenizer_class", "PreTrainedTokenizerFast");
        return bytes(root);
    }

    private static byte[] bytes(ObjectNode root) {
        try {
            return JSON.writeValueAsBytes(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("JSON of a tree cannot fail", e);
        }
    }
}
