package dev.mixprune.io;

import dev.mixprune.BadInputException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The vocabulary of a GGUF: the {@code tokenizer.ggml.*} metadata keys, read into a
 * {@link Vocabulary} and written from one (llama.cpp's converter's keys and types).
 */
public final class GgufVocabulary {
    private GgufVocabulary() {}

    /**
     * The vocabulary from tokenizer.ggml.*, or empty if the file has none or a tokenizer model
     * other than SentencePiece "llama" (which this project's tokenizer cannot run).
     */
    public static Optional<Vocabulary> read(GgufFile f, int modelVocab) {
        GgufValue model = f.metadata().get("tokenizer.ggml.model");
        GgufValue tokens = f.metadata().get("tokenizer.ggml.tokens");
        if (tokens == null || model == null || model.type() != GgufValueType.STRING || !model.asString().equals("llama")) return Optional.empty();
        GgufValue.Array ta = tokens.type() == GgufValueType.ARRAY ? tokens.asArray() : null;
        if (ta == null || !(ta.values() instanceof String[] pieces)) {
            throw BadInputException.in(f.path(), "metadata tokenizer.ggml.tokens: expected an array of strings, found " + tokens.display());
        }
        if (pieces.length != modelVocab) {
            throw BadInputException.in(f.path(), "metadata tokenizer.ggml.tokens has " + pieces.length + " pieces but the model's vocabulary has " + modelVocab
                    + " (tokenizer/model vocabulary mismatch)");
        }
        float[] scores = new float[pieces.length];
        GgufValue sv = f.metadata().get("tokenizer.ggml.scores");
        if (sv != null) {
            if (sv.type() != GgufValueType.ARRAY || !(sv.asArray().values() instanceof float[] s) || s.length != pieces.length) {
                throw BadInputException.in(f.path(), "metadata tokenizer.ggml.scores: expected " + pieces.length + " FLOAT32 values, found " + sv.display());
            }
            scores = s;
        }
        int[] types = null;
        GgufValue tv = f.metadata().get("tokenizer.ggml.token_type");
        if (tv != null) {
            if (tv.type() != GgufValueType.ARRAY || !(tv.asArray().values() instanceof long[] t) || t.length != pieces.length) {
                throw BadInputException.in(f.path(), "metadata tokenizer.ggml.token_type: expected " + pieces.length + " integers, found " + tv.display());
            }
            types = new int[t.length];
            for (int i = 0; i < t.length; i++) types[i] = (int) t[i];
        }
        for (String key : new String[]{"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"}) {
            GgufValue v = f.metadata().get(key);
            long want = key.contains("bos") ? Vocabulary.BOS : Vocabulary.EOS;
            if (v != null && v.type().isInteger() && v.asLong() != want) {
                throw BadInputException.in(f.path(), "metadata " + key + " is " + v.asLong() + "; the tokenizer (llama2.c rule) requires " + want);
            }
        }
        return Optional.of(Vocabulary.fromSentencePiece(List.of(pieces), scores, types));
    }

    /**
     * Writes {@code vocab} as {@code tokenizer.ggml.*} into {@code m} (over what is there; BOS, EOS and
     * unknown ids only if absent) for a model of {@code modelVocab} embedding rows.
     */
    public static void put(Map<String, GgufValue> m, Vocabulary vocab, int modelVocab) {
        if (vocab.size() != modelVocab) throw new IllegalArgumentException("vocabulary has " + vocab.size() + " pieces, model " + modelVocab);
        List<String> pieces = new ArrayList<>(vocab.size());
        float[] scores = new float[vocab.size()];
        long[] types = new long[vocab.size()];
        for (int i = 0; i < vocab.size(); i++) {
            pieces.add(vocab.sentencePiece(i));
            scores[i] = vocab.score(i);
            types[i] = vocab.tokenType(i);
        }
        m.put("tokenizer.ggml.model", GgufValue.ofString("llama"));
        m.put("tokenizer.ggml.tokens", GgufValue.ofStrings(pieces));
        m.put("tokenizer.ggml.scores", GgufValue.ofFloats(scores));
        m.put("tokenizer.ggml.token_type", GgufValue.ofIntegers(GgufValueType.INT32, types));
        m.putIfAbsent("tokenizer.ggml.bos_token_id", GgufValue.ofUint32(Vocabulary.BOS));
        m.putIfAbsent("tokenizer.ggml.eos_token_id", GgufValue.ofUint32(Vocabulary.EOS));
        m.putIfAbsent("tokenizer.ggml.unknown_token_id", GgufValue.ofUint32(Vocabulary.UNK));
    }
}
