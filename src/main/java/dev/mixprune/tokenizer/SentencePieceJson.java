package dev.mixprune.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixprune.BadInputException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * HF {@code tokenizer.json} for SentencePiece-style BPE (LLaMA-1/2: {@code model.type = "BPE"},
 * pieces spelled with "\u2581", byte fallback). Read only.
 *
 * <p>tokenizer.json has merge ranks, not scores. The llama2.c rule merges the adjacent pair whose
 * concatenation has the highest score; giving each piece the score {@code -rank} of the first
 * merge that produces it makes that rule apply merges in rank order, which is how HF's BPE runs.
 * Pieces that no merge produces get {@code -infinity}, so the rule never forms them by merging
 * (single code points are still looked up directly). Byte-level (GPT-2 style) tokenizer.json files
 * go to {@link ByteLevelJson} instead ({@link HfTokenizerJson} decides).
 */
final class SentencePieceJson {
    private SentencePieceJson() {}

    /** The vocabulary of a SentencePiece-style tokenizer.json whose {@code model.type} is BPE (checked by the caller). */
    static Vocabulary vocabulary(Path file, JsonNode root) {
        JsonNode model = root.path("model");
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject()) throw BadInputException.in(file, "field model.vocab: expected an object {piece: id}");
        Map<Integer, String> byId = new HashMap<>();
        Map<Integer, Boolean> special = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            put(file, byId, e.getValue(), e.getKey(), "model.vocab");
        }
        for (JsonNode a : root.path("added_tokens")) {
            int id = put(file, byId, a.path("id"), a.path("content").asText(), "added_tokens");
            special.put(id, a.path("special").asBoolean(false));
        }
        int n = byId.size();
        List<String> pieces = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String p = byId.get(i);
            if (p == null) throw BadInputException.in(file, "ids are not 0.." + (n - 1) + ": id " + i + " is missing");
            pieces.add(p);
        }
        Map<String, Integer> idOf = new HashMap<>();
        for (int i = 0; i < n; i++) idOf.putIfAbsent(pieces.get(i), i);
        float[] scores = new float[n];
        Arrays.fill(scores, Float.NEGATIVE_INFINITY);
        int rank = 0;
        for (JsonNode m : model.path("merges")) {
            String left, right;
            if (m.isArray() && m.size() == 2) {
                left = m.get(0).asText();
                right = m.get(1).asText();
            } else if (m.isTextual() && m.asText().indexOf(' ') > 0) {
                int sp = m.asText().indexOf(' ');
                left = m.asText().substring(0, sp);
                right = m.asText().substring(sp + 1);
            } else {
                throw BadInputException.in(file, "model.merges[" + rank + "]: expected \"left right\" or [left, right], found " + m);
            }
            Integer id = idOf.get(left + right);
            if (id == null) throw BadInputException.in(file, "model.merges[" + rank + "]: \"" + left + right + "\" is not in the vocabulary");
            if (scores[id] == Float.NEGATIVE_INFINITY) scores[id] = -rank;
            rank++;
        }
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            String p = pieces.get(i);
            if (p.equals(model.path("unk_token").asText("<unk>"))) types[i] = Vocabulary.TYPE_UNKNOWN;
            else if (special.getOrDefault(i, false)) types[i] = Vocabulary.TYPE_CONTROL;
            else if (Vocabulary.isBytePiece(p.getBytes(java.nio.charset.StandardCharsets.UTF_8))) types[i] = Vocabulary.TYPE_BYTE;
            else types[i] = Vocabulary.TYPE_NORMAL;
            // Pieces that are not merge results get score 0 when they cannot be merge targets anyway
            // (specials, bytes, single code points) so that writers do not emit -infinity for them.
            if (scores[i] == Float.NEGATIVE_INFINITY && (types[i] != Vocabulary.TYPE_NORMAL || p.codePointCount(0, p.length()) == 1)) scores[i] = 0f;
        }
        return Vocabulary.fromSentencePiece(pieces, scores, types);
    }

    private static int put(Path file, Map<Integer, String> byId, JsonNode idNode, String piece, String field) {
        if (!idNode.canConvertToInt() || idNode.asInt() < 0) throw BadInputException.in(file, field + " '" + piece + "': id must be a non-negative integer, found " + idNode);
        int id = idNode.asInt();
        String prev = byId.put(id, piece);
        if (prev != null && !prev.equals(piece)) throw BadInputException.in(file, field + ": id " + id + " is both '" + prev + "' and '" + piece + "'");
        return id;
    }
}
