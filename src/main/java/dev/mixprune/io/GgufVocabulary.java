package dev.mixprune.io;

import dev.mixprune.BadInputException;
import dev.mixprune.tokenizer.ByteLevelBpeTokenizer;
import dev.mixprune.tokenizer.HfSpecialTokens;
import dev.mixprune.tokenizer.LlamaCppPre;
import dev.mixprune.tokenizer.SentencePieceTokenizer;
import dev.mixprune.tokenizer.SpecialTokens;
import dev.mixprune.tokenizer.TokenType;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.tokenizer.Vocabulary;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A tokenizer in GGUF metadata ({@code tokenizer.ggml.*}), read and written the way llama.cpp's
 * converter (convert_hf_to_gguf.py, gguf-py's SpecialVocab) writes it and its loader
 * (src/llama-vocab.cpp) reads it:
 * <ul>
 *   <li>{@code model = llama}: SentencePiece; tokens (SentencePiece spelling), scores, token_type;</li>
 *   <li>{@code model = gpt2}: byte-level BPE; {@code pre} (llama-bpe, qwen2, smollm, gpt-2, see
 *       {@link LlamaCppPre}), tokens (byte-level spelling, added tokens as their text, missing ids
 *       as {@code [PADi]} of type UNUSED), token_type, merges ("left right", rank order);</li>
 *   <li>both: {@code bos_token_id}, {@code eos_token_id}, {@code unknown_token_id},
 *       {@code padding_token_id} (UINT32; a value outside the vocabulary means none),
 *       {@code add_bos_token} / {@code add_eos_token} (BOOL; llama.cpp's defaults when absent:
 *       SentencePiece adds BOS, gpt2 only for llama-bpe), {@code eot_token_id} / {@code eom_token_id}
 *       (end of generation).</li>
 * </ul>
 */
public final class GgufVocabulary {
    private static final String P = "tokenizer.ggml.";

    private GgufVocabulary() {}

    public static Optional<Tokenizer> read(GgufFile f, int modelVocab) { return read(f.path(), f.metadata(), modelVocab); }

    /**
     * The tokenizer of a GGUF's metadata, or empty when it has no {@code tokenizer.ggml.model}.
     *
     * @param modelVocab the embedding rows, which must equal the number of tokens; -1 to skip the check
     * @throws BadInputException for an unsupported tokenizer model or pre-tokenizer, or inconsistent keys
     */
    public static Optional<Tokenizer> read(Path file, Map<String, GgufValue> meta, int modelVocab) {
        GgufValue model = meta.get(P + "model");
        if (model == null) return Optional.empty();
        if (model.type() != GgufValueType.STRING) throw BadInputException.in(file, "metadata " + P + "model: expected a string, found " + model.display());
        String name = model.asString();
        if (!name.equals("llama") && !name.equals("gpt2")) {
            throw BadInputException.in(file, "metadata " + P + "model = \"" + name + "\" is not supported (supported: \"llama\" (SentencePiece), \"gpt2\" (byte-level BPE))");
        }
        String[] tokens = strings(file, meta, P + "tokens", true);
        if (modelVocab >= 0 && tokens.length != modelVocab) {
            throw BadInputException.in(file, "metadata " + P + "tokens has " + tokens.length + " pieces but the model's vocabulary has " + modelVocab
                    + " (tokenizer/model vocabulary mismatch)");
        }
        TokenType[] types = types(file, meta, tokens.length);
        try {
            return Optional.of(name.equals("llama") ? sentencePiece(file, meta, tokens, types) : byteLevel(file, meta, tokens, types));
        } catch (IllegalArgumentException e) {
            throw BadInputException.in(file, "metadata " + P + e.getMessage());
        }
    }

    private static Tokenizer sentencePiece(Path file, Map<String, GgufValue> meta, String[] pieces, TokenType[] types) {
        float[] scores = new float[pieces.length];
        GgufValue sv = meta.get(P + "scores");
        if (sv != null) {
            if (sv.type() != GgufValueType.ARRAY || !(sv.asArray().values() instanceof float[] s) || s.length != pieces.length) {
                throw BadInputException.in(file, "metadata " + P + "scores: expected " + pieces.length + " FLOAT32 values, found " + sv.display());
            }
            scores = s;
        }
        int[] codes = meta.containsKey(P + "token_type") ? Arrays.stream(types).mapToInt(TokenType::code).toArray() : null;
        Vocabulary v = Vocabulary.fromSentencePiece(List.of(pieces), scores, codes);
        return new SentencePieceTokenizer(v, specials(file, meta, pieces, types, true));
    }

    private static Tokenizer byteLevel(Path file, Map<String, GgufValue> meta, String[] tokens, TokenType[] types) {
        GgufValue pv = meta.get(P + "pre");
        if (pv == null || pv.type() != GgufValueType.STRING) {
            throw BadInputException.in(file, "metadata " + P + "pre is missing: the byte-level pre-tokenizer is unknown (supported: " + LlamaCppPre.known() + ")");
        }
        LlamaCppPre pre = LlamaCppPre.byGgufName(pv.asString()).orElseThrow(() -> BadInputException.in(file, "metadata " + P + "pre = \""
                + pv.asString() + "\" is not a supported pre-tokenizer (supported: " + LlamaCppPre.known() + ")"));
        List<String> merges = List.of(strings(file, meta, P + "merges", true));
        SpecialTokens s = specials(file, meta, tokens, types, false);
        if (!meta.containsKey(P + "add_bos_token")) s = s.withAddBos(s.hasBos() && defaultAddBos(pre));
        return ByteLevelBpeTokenizer.fromLlamaCpp(List.of(tokens), List.of(types), merges, pre, s);
    }

    private static boolean defaultAddBos(LlamaCppPre pre) { return pre == LlamaCppPre.LLAMA_BPE; }

    private static SpecialTokens specials(Path file, Map<String, GgufValue> meta, String[] tokens, TokenType[] types, boolean addBosDefault) {
        int n = tokens.length;
        int bos = id(file, meta, "bos_token_id", n), eos = id(file, meta, "eos_token_id", n);
        List<Integer> eog = new ArrayList<>();
        for (String k : new String[]{"eot_token_id", "eom_token_id"}) {
            int id = id(file, meta, k, n);
            if (id >= 0) eog.add(id);
        }
        for (int i = 0; i < n; i++) {
            if ((types[i] == TokenType.CONTROL || types[i] == TokenType.USER_DEFINED) && HfSpecialTokens.END_OF_GENERATION_TEXTS.contains(tokens[i])) eog.add(i);
        }
        boolean addBos = flag(file, meta, "add_bos_token", addBosDefault);
        boolean addEos = flag(file, meta, "add_eos_token", false);
        return new SpecialTokens(bos, eos, id(file, meta, "unknown_token_id", n), id(file, meta, "padding_token_id", n),
                addBos && bos >= 0, addEos && eos >= 0, eog);
    }

    private static int id(Path file, Map<String, GgufValue> meta, String key, int n) {
        GgufValue v = meta.get(P + key);
        if (v == null) return SpecialTokens.NONE;
        if (!v.type().isInteger()) throw BadInputException.in(file, "metadata " + P + key + ": expected an integer, found " + v.display());
        long id = v.asLong();
        return id >= 0 && id < n ? (int) id : SpecialTokens.NONE; // e.g. 0xFFFFFFFF: none (what the converter writes for "unset")
    }

    private static boolean flag(Path file, Map<String, GgufValue> meta, String key, boolean dflt) {
        GgufValue v = meta.get(P + key);
        if (v == null) return dflt;
        if (v.type() != GgufValueType.BOOL) throw BadInputException.in(file, "metadata " + P + key + ": expected a BOOL, found " + v.display());
        return (Boolean) v.value();
    }

    private static String[] strings(Path file, Map<String, GgufValue> meta, String key, boolean required) {
        GgufValue v = meta.get(key);
        if (v == null) {
            if (required) throw BadInputException.in(file, "missing metadata key '" + key + "'");
            return new String[0];
        }
        if (v.type() != GgufValueType.ARRAY || !(v.asArray().values() instanceof String[] s)) {
            throw BadInputException.in(file, "metadata " + key + ": expected an array of strings, found " + v.display());
        }
        return s;
    }

    private static TokenType[] types(Path file, Map<String, GgufValue> meta, int n) {
        TokenType[] types = new TokenType[n];
        GgufValue tv = meta.get(P + "token_type");
        if (tv == null) {
            Arrays.fill(types, TokenType.NORMAL);
            return types;
        }
        if (tv.type() != GgufValueType.ARRAY || !(tv.asArray().values() instanceof long[] t) || t.length != n) {
            throw BadInputException.in(file, "metadata " + P + "token_type: expected " + n + " integers, found " + tv.display());
        }
        for (int i = 0; i < n; i++) {
            types[i] = TokenType.ofCode(t[i]);
            if (types[i] == null) throw BadInputException.in(file, "metadata " + P + "token_type[" + i + "] = " + t[i] + ": expected 0..6");
        }
        return types;
    }

    /**
     * Writes {@code t} into {@code meta} (a model's metadata, pass-through keys first) for a model of
     * {@code modelVocab} embedding rows, as the converter writes it. Keys the tokenizer does not
     * define (chat template, a padding id ...) are kept, unless the passed-through keys describe a
     * different vocabulary: then every old {@code tokenizer.ggml.*} key is dropped first.
     *
     * @throws IllegalArgumentException if the tokenizer does not fit the model
     * @throws BadInputException        if llama.cpp has no name for a byte-level tokenizer's pre-tokenizer
     */
    public static void put(Map<String, GgufValue> meta, Tokenizer t, int modelVocab) {
        if (t.size() > modelVocab) throw new IllegalArgumentException("tokenizer has " + t.size() + " ids, the model's vocabulary " + modelVocab);
        List<String> tokens = new ArrayList<>(modelVocab);
        long[] types = new long[modelVocab];
        for (int i = 0; i < modelVocab; i++) {
            boolean defined = i < t.size() && !(t instanceof ByteLevelBpeTokenizer b && !b.defined(i));
            tokens.add(defined ? t.tokenText(i) : "[PAD" + i + "]");
            types[i] = defined ? t.tokenType(i).code() : TokenType.UNUSED.code();
        }
        String model = t instanceof SentencePieceTokenizer ? "llama" : "gpt2";
        GgufValue tokenList = GgufValue.ofStrings(tokens);
        if (!GgufValue.ofString(model).equals(meta.get(P + "model")) || !tokenList.equals(meta.get(P + "tokens"))) {
            meta.keySet().removeIf(k -> k.startsWith(P));
        }
        SpecialTokens s = t.specialTokens();
        meta.put(P + "model", GgufValue.ofString(model));
        switch (t) {
            case SentencePieceTokenizer sp -> {
                if (sp.size() != modelVocab) throw new IllegalArgumentException("SentencePiece vocabulary has " + sp.size() + " pieces, the model " + modelVocab);
                float[] scores = new float[modelVocab];
                for (int i = 0; i < modelVocab; i++) scores[i] = sp.vocabulary().score(i);
                meta.put(P + "tokens", tokenList);
                meta.put(P + "scores", GgufValue.ofFloats(scores));
                meta.put(P + "token_type", GgufValue.ofIntegers(GgufValueType.INT32, types));
            }
            case ByteLevelBpeTokenizer b -> {
                if (b.llamaCppPre() == null) {
                    throw new BadInputException("cannot write the tokenizer into GGUF: llama.cpp has no pre-tokenizer for this byte-level tokenizer's"
                            + " normalizer and pre_tokenizer (it knows " + LlamaCppPre.known() + "); write an HF directory instead");
                }
                List<String> merges = new ArrayList<>(b.merges().size());
                for (String[] m : b.merges()) merges.add(m[0] + " " + m[1]);
                meta.put(P + "pre", GgufValue.ofString(b.llamaCppPre()));
                meta.put(P + "tokens", tokenList);
                meta.put(P + "token_type", GgufValue.ofIntegers(GgufValueType.INT32, types));
                meta.put(P + "merges", GgufValue.ofStrings(merges));
            }
        }
        putId(meta, "bos_token_id", s.bos());
        putId(meta, "eos_token_id", s.eos());
        putId(meta, "unknown_token_id", s.unk());
        putId(meta, "padding_token_id", s.pad());
        boolean defaultAddBos = t instanceof SentencePieceTokenizer
                || (t instanceof ByteLevelBpeTokenizer b && LlamaCppPre.byGgufName(b.llamaCppPre()).map(GgufVocabulary::defaultAddBos).orElse(false));
        if (s.addBos() != defaultAddBos || meta.containsKey(P + "add_bos_token") || t instanceof ByteLevelBpeTokenizer) {
            meta.put(P + "add_bos_token", GgufValue.ofBool(s.addBos()));
        }
        if (s.addEos() || meta.containsKey(P + "add_eos_token")) meta.put(P + "add_eos_token", GgufValue.ofBool(s.addEos()));
    }

    private static void putId(Map<String, GgufValue> meta, String key, int id) {
        if (id != SpecialTokens.NONE) meta.put(P + key, GgufValue.ofUint32(id));
    }
}
