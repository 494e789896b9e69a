package dev.mixprune.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Small byte-level tokenizer.json files for tests: the 256 alphabet characters, merges learned
 * greedily from a sample text (as a BPE trainer would: the most frequent adjacent pair first), a
 * few added tokens, and a chosen normalizer / pre-tokenizer.
 */
public final class TinyByteLevel {
    static final ObjectMapper JSON = new ObjectMapper();

    private TinyByteLevel() {}

    public static ObjectNode json(int merges, long seed) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteLevelAlphabet.charOf(b)), b);
        List<String[]> pairs = new ArrayList<>();
        // Words of a small alphabet so that merges chain (a + b -> ab, ab + c -> abc, ...).
        SplittableRandom r = new SplittableRandom(seed);
        List<List<String>> words = new ArrayList<>();
        String alpha = "abcde \u00e9";
        for (int w = 0; w < 400; w++) {
            StringBuilder sb = new StringBuilder(r.nextInt(3) == 0 ? " " : "");
            for (int k = 1 + r.nextInt(6); k > 0; k--) sb.append(alpha.charAt(r.nextInt(alpha.length())));
            List<String> syms = new ArrayList<>();
            for (char c : ByteLevelAlphabet.encode(sb.toString()).toCharArray()) syms.add(String.valueOf(c));
            words.add(syms);
        }
        while (pairs.size() < merges) {
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (List<String> w : words) for (int i = 0; i + 1 < w.size(); i++) counts.merge(w.get(i) + "\u0000" + w.get(i + 1), 1, Integer::sum);
            if (counts.isEmpty()) break;
            String best = counts.entrySet().stream().max(Map.Entry.comparingByValue()).get().getKey();
            String[] p = best.split("\u0000");
            pairs.add(p);
            vocab.putIfAbsent(p[0] + p[1], vocab.size());
            for (List<String> w : words) {
                for (int i = 0; i + 1 < w.size(); i++) {
                    if (w.get(i).equals(p[0]) && w.get(i + 1).equals(p[1])) {
                        w.set(i, p[0] + p[1]);
                        w.remove(i + 1);
                    }
                }
            }
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        int next = vocab.size();
        for (String[] a : new String[][]{{"<|endoftext|>", "true"}, {"<|im_end|>", "true"}, {"<tool>", "false"}}) {
            added.addObject().put("id", next++).put("content", a[0]).put("special", Boolean.parseBoolean(a[1]))
                    .put("single_word", false).put("lstrip", false).put("rstrip", false).put("normalized", false);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", JSON.valueToTree(Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true, "use_regex", true)));
        root.putNull("post_processor");
        root.set("decoder", JSON.valueToTree(Map.of("type", "ByteLevel")));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        ArrayNode m = model.putArray("merges");
        for (String[] p : pairs) m.addArray().add(p[0]).add(p[1]);
        return root;
    }

    public static Path write(ObjectNode root, Path dir) throws java.io.IOException {
        java.nio.file.Files.createDirectories(dir);
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }
}
