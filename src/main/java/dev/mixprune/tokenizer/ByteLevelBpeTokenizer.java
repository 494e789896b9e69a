package dev.mixprune.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face byte-level BPE (protocols.md T2): Llama 3, Qwen2, SmolLM, GPT-2 tokenizers, from a
 * tokenizer.json ({@link HfTokenizerJson}) or a GGUF {@code tokenizer.ggml.model = gpt2} vocabulary.
 *
 * <p>{@link #encode}: (1) added tokens are matched in the raw text and become their ids; (2) the text
 * between them is normalized and pre-tokenized (regex / digit splits, then ByteLevel, which writes
 * every UTF-8 byte as a printable character); (3) each word is merged by {@link BpeModel}. Decoding
 * maps the characters back to bytes.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {
    private final BpeModel model;
    private final List<AddedToken> added;
    private final AddedTokenMatcher rawMatcher, normalizedMatcher;
    private final TextNormalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final SpecialTokens special;
    private final String llamaCppPre;
    private final int size;
    private final String[] text;      // id -> vocabulary spelling, null for an id nothing defines
    private final TokenType[] types;
    private final byte[][] bytes;     // id -> decoded bytes (empty for control tokens)

    /**
     * @param llamaCppPre the name llama.cpp gives this pre-tokenizer ({@code tokenizer.ggml.pre}), or null if it has none
     */
    ByteLevelBpeTokenizer(BpeModel model, List<AddedToken> added, TextNormalizer normalizer, PreTokenizer preTokenizer,
                          SpecialTokens special, String llamaCppPre) {
        this(model, added, normalizer, preTokenizer, special, llamaCppPre, null);
    }

    /** @param declaredTypes types as a GGUF records them (null entries, or null: derived) */
    private ByteLevelBpeTokenizer(BpeModel model, List<AddedToken> added, TextNormalizer normalizer, PreTokenizer preTokenizer,
                                  SpecialTokens special, String llamaCppPre, TokenType[] declaredTypes) {
        this.model = model;
        this.added = List.copyOf(added);
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.llamaCppPre = llamaCppPre;
        this.rawMatcher = new AddedTokenMatcher(this.added.stream().filter(a -> !a.normalized()).toList());
        this.normalizedMatcher = new AddedTokenMatcher(this.added.stream().filter(AddedToken::normalized).toList());
        int max = -1;
        for (int id : model.vocab().values()) max = Math.max(max, id);
        for (AddedToken a : this.added) max = Math.max(max, a.id());
        size = max + 1;
        text = new String[size];
        types = new TokenType[size];
        bytes = new byte[size][];
        for (Map.Entry<String, Integer> e : model.vocab().entrySet()) {
            text[e.getValue()] = e.getKey();
            types[e.getValue()] = TokenType.NORMAL;
            byte[] b = ByteLevelAlphabet.decode(e.getKey());
            bytes[e.getValue()] = b != null ? b : e.getKey().getBytes(StandardCharsets.UTF_8);
        }
        for (AddedToken a : this.added) {
            text[a.id()] = a.content();
            types[a.id()] = a.control() ? TokenType.CONTROL : TokenType.USER_DEFINED;
            bytes[a.id()] = a.control() ? new byte[0] : a.content().getBytes(StandardCharsets.UTF_8);
        }
        if (model.unk() >= 0) types[model.unk()] = TokenType.UNKNOWN;
        if (declaredTypes != null) {
            for (int i = 0; i < Math.min(size, declaredTypes.length); i++) {
                if (declaredTypes[i] == null) continue;
                types[i] = declaredTypes[i];
                if (types[i] == TokenType.UNUSED || types[i] == TokenType.CONTROL) bytes[i] = new byte[0];
            }
        }
        for (int i = 0; i < size; i++) {
            if (types[i] == null) {
                types[i] = TokenType.UNUSED;
                bytes[i] = new byte[0];
            }
        }
        this.special = special.checkedAgainst(size);
    }

    /**
     * A byte-level tokenizer as llama.cpp stores it (GGUF {@code tokenizer.ggml.model = gpt2}):
     * the token list (byte-level spellings; control and user-defined tokens as their text), their
     * types, the merges as "left right" in rank order, and the pre-tokenizer's name, which
     * stands for the normalizer and pre-tokenizer of {@link LlamaCppPre}. Control and user-defined
     * tokens are matched in the text as added tokens (llama.cpp with special-token parsing).
     *
     * @throws IllegalArgumentException naming the entry (e.g. {@code merges[12]}) when the parts disagree
     */
    public static ByteLevelBpeTokenizer fromLlamaCpp(List<String> tokens, List<TokenType> types, List<String> merges, LlamaCppPre pre,
                                                     SpecialTokens special) {
        if (types.size() != tokens.size()) throw new IllegalArgumentException("token_type has " + types.size() + " entries for " + tokens.size() + " tokens");
        java.util.Map<String, Integer> vocab = new java.util.HashMap<>(tokens.size() * 2);
        List<AddedToken> added = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            TokenType t = types.get(i);
            if (t == TokenType.CONTROL || t == TokenType.USER_DEFINED) {
                if (!tokens.get(i).isEmpty()) added.add(AddedToken.plain(i, tokens.get(i), t == TokenType.CONTROL));
            } else {
                vocab.putIfAbsent(tokens.get(i), i);
            }
        }
        List<String[]> pairs = new ArrayList<>(merges.size());
        for (int r = 0; r < merges.size(); r++) {
            String m = merges.get(r);
            int sp = m.indexOf(' ', 1);
            if (sp < 0) throw new IllegalArgumentException("merges[" + r + "] = \"" + m + "\": expected \"left right\"");
            pairs.add(new String[]{m.substring(0, sp), m.substring(sp + 1)});
        }
        BpeModel bpe = new BpeModel(vocab, pairs, pre.ignoreMerges(), special.unk() >= 0 && special.unk() < tokens.size() ? special.unk() : -1);
        return new ByteLevelBpeTokenizer(bpe, added, pre.normalizer(), pre.preTokenizer(), special, pre.ggufName(), types.toArray(new TokenType[0]));
    }

    /** The merges in rank order, each (left, right) as the vocabulary spells them. */
    public List<String[]> merges() { return model.merges(); }

    @Override public Kind kind() { return Kind.BYTE_LEVEL_BPE; }

    @Override public int size() { return size; }

    @Override public SpecialTokens specialTokens() { return special; }

    /** llama.cpp's name for the pre-tokenizer ({@code tokenizer.ggml.pre}: llama-bpe, qwen2, smollm, gpt-2), or null if llama.cpp has none for it. */
    public String llamaCppPre() { return llamaCppPre; }

    List<AddedToken> addedTokens() { return added; }

    BpeModel model() { return model; }

    TextNormalizer normalizer() { return normalizer; }

    PreTokenizer preTokenizer() { return preTokenizer; }

    @Override public int[] encode(String input) {
        IntList out = new IntList();
        List<String> words = new ArrayList<>();
        for (AddedTokenMatcher.Section s : rawMatcher.split(input)) {
            if (s.token() != null) {
                out.add(s.token().id());
                continue;
            }
            for (AddedTokenMatcher.Section n : normalizedMatcher.split(normalizer.apply(s.text()))) {
                if (n.token() != null) {
                    out.add(n.token().id());
                    continue;
                }
                words.clear();
                preTokenizer.split(n.text(), words);
                for (String w : words) model.encodeWord(w, out);
            }
        }
        return out.toArray();
    }

    @Override public String tokenText(int id) { return text[id] != null ? text[id] : ""; }

    /** Whether an id has a token (false for gaps in the id range). */
    public boolean defined(int id) { return text[id] != null; }

    @Override public TokenType tokenType(int id) { return types[id]; }

    @Override public byte[] decodeBytes(int prev, int token) { return bytes[token].clone(); }
}
