package dev.mixprune.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * llama2.c / SentencePiece BPE (docs/protocols.md T, run.c's greedy rule) over a {@link Vocabulary}.
 * {@link #encode} runs the O(n log n) {@link HeapBpe}; {@link NaiveBpe} is the O(n^2) reference
 * it is tested against, id for id. The special tokens come from the file the vocabulary was read
 * from ({@link #llama2c} for a llama2.c tokenizer.bin, which records none).
 */
public final class SentencePieceTokenizer implements Tokenizer {
    private final Vocabulary vocab;
    private final SpecialTokens special;
    private final HeapBpe bpe;

    public SentencePieceTokenizer(Vocabulary vocab, SpecialTokens special) {
        this.vocab = vocab;
        this.special = special.checkedAgainst(vocab.size());
        this.bpe = new HeapBpe(vocab);
    }

    /**
     * llama2.c's convention, for a tokenizer.bin (which stores no special ids): unk 0, BOS 1 added
     * to every document, EOS 2 ending generation.
     */
    public static SentencePieceTokenizer llama2c(Vocabulary vocab) {
        return new SentencePieceTokenizer(vocab, llama2cSpecials(vocab.size()));
    }

    /** The special tokens of {@link #llama2c} (those that exist in a vocabulary of {@code size}). */
    public static SpecialTokens llama2cSpecials(int size) {
        int bos = size > Vocabulary.LLAMA2C_BOS ? Vocabulary.LLAMA2C_BOS : SpecialTokens.NONE;
        int eos = size > Vocabulary.LLAMA2C_EOS ? Vocabulary.LLAMA2C_EOS : SpecialTokens.NONE;
        return new SpecialTokens(bos, eos, size > 0 ? 0 : SpecialTokens.NONE, SpecialTokens.NONE, bos != SpecialTokens.NONE, false, List.of());
    }

    public Vocabulary vocabulary() { return vocab; }

    @Override public Kind kind() { return Kind.SENTENCEPIECE_BPE; }

    @Override public int size() { return vocab.size(); }

    @Override public SpecialTokens specialTokens() { return special; }

    @Override public int[] encode(String text) { return bpe.encode(text); }

    @Override public String tokenText(int id) { return vocab.sentencePiece(id); }

    @Override public TokenType tokenType(int id) {
        TokenType t = TokenType.ofCode(vocab.tokenType(id));
        return t == null ? TokenType.UNDEFINED : t;
    }

    /** Bytes of one token after {@code prev}: none for control tokens, the leading space stripped after BOS, raw bytes for {@code <0xHH>}. */
    @Override public byte[] decodeBytes(int prev, int token) {
        if (vocab.tokenType(token) == Vocabulary.TYPE_CONTROL) return new byte[0];
        byte[] p = vocab.piece(token);
        int from = 0;
        if (prev >= 0 && prev == special.bos() && p.length > 0 && p[0] == ' ') from = 1;
        if (Vocabulary.isBytePiece(p)) return new byte[]{(byte) (Character.digit(p[3], 16) * 16 + Character.digit(p[4], 16))};
        byte[] r = new byte[p.length - from];
        System.arraycopy(p, from, r, 0, r.length);
        return r;
    }

    /** The reference rule, kept simple on purpose. */
    static final class NaiveBpe {
        static List<Integer> encode(Vocabulary vocab, String text) {
            List<Integer> tokens = new ArrayList<>();
            if (text.isEmpty()) return tokens;
            int space = vocab.idOf(" ");
            if (space >= 0) tokens.add(space);
            text.codePoints().forEach(cp -> {
                String s = new String(Character.toChars(cp));
                int id = vocab.idOf(s);
                if (id >= 0) tokens.add(id);
                else for (byte b : s.getBytes(StandardCharsets.UTF_8)) tokens.add((b & 0xff) + 3);
            });
            while (true) {
                float best = Float.NEGATIVE_INFINITY;
                int bestId = -1, bestIdx = -1;
                for (int i = 0; i + 1 < tokens.size(); i++) {
                    String merged = vocab.pieceString(tokens.get(i)) + vocab.pieceString(tokens.get(i + 1));
                    int id = vocab.idOf(merged);
                    if (id >= 0 && vocab.score(id) > best) {
                        best = vocab.score(id);
                        bestId = id;
                        bestIdx = i;
                    }
                }
                if (bestIdx < 0) break;
                tokens.set(bestIdx, bestId);
                tokens.remove(bestIdx + 1);
            }
            return tokens;
        }
    }

    /**
     * The same greedy rule as {@link NaiveBpe} in O(n log n), through {@link PairMerger} with the
     * priority "score descending".
     *
     * <p>Why this equals the naive rule: the heap always holds an entry with the current key of every
     * mergeable adjacent pair, so the smallest valid key is the pair with the highest score and,
     * among equal scores, the smallest initial position, which is the leftmost in the current
     * list because merging keeps the left symbol's position. Scores compare as the naive {@code >}
     * does: -0.0 equals 0.0, and a merge scoring NaN or -infinity is never taken.
     */
    static final class HeapBpe {
        private final int[] canonical;      // id -> first id with the same piece string (what idOf returns)
        private final PrimitiveMap merges;  // (canonical left, canonical right) -> merged id
        private final PrimitiveMap codePoints; // single-code-point piece -> its id
        private final int[] asciiIds = new int[128]; // the same for code points < 128, -1 if none
        private final int spaceId;
        private final float[] scores;

        HeapBpe(Vocabulary vocab) {
            int n = vocab.size();
            String[] strings = new String[n];
            canonical = new int[n];
            scores = new float[n];
            codePoints = new PrimitiveMap(64);
            java.util.Arrays.fill(asciiIds, -1);
            for (int i = 0; i < n; i++) {
                strings[i] = vocab.pieceString(i);
                canonical[i] = vocab.idOf(strings[i]);
                float s = vocab.score(i);
                scores[i] = s == 0f ? 0f : s; // -0.0 -> 0.0: the naive '>' treats them as equal
                if (canonical[i] == i && strings[i].codePointCount(0, strings[i].length()) == 1) {
                    int cp = strings[i].codePointAt(0);
                    codePoints.put(cp, i);
                    if (cp < 128) asciiIds[cp] = i;
                }
            }
            spaceId = vocab.idOf(" ");
            // Every concatenation that is a piece is found by splitting each piece in two: the
            // table holds exactly the pairs the naive rule would find with idOf(left + right).
            merges = new PrimitiveMap(4 * n);
            int empty = vocab.idOf("");
            for (int m = 0; m < n; m++) {
                if (canonical[m] != m) continue;
                String s = strings[m];
                for (int k = 1; k < s.length(); k++) {
                    int left = vocab.idOf(s.substring(0, k));
                    if (left < 0) continue;
                    int right = vocab.idOf(s.substring(k));
                    if (right >= 0) merges.put(pairKey(left, right), m);
                }
                if (empty >= 0) { // "" + s and s + "" are s (degenerate vocabularies only)
                    merges.put(pairKey(empty, m), m);
                    merges.put(pairKey(m, empty), m);
                }
            }
        }

        private static long pairKey(int left, int right) { return ((long) left << 32) | (right & 0xffffffffL); }

        /** Merged id of two adjacent symbols, or -1 if their concatenation is no piece. */
        private int merge(int left, int right) {
            return merges.get(pairKey(canonical[left], canonical[right]));
        }

        /**
         * The pair's merge for {@link PairMerger}: priority = the merged piece's score, descending
         * (its bits in signed int order, complemented); NaN and -infinity never merge.
         */
        private long candidate(int left, int right) {
            int m = merge(left, right);
            if (m < 0 || !eligible(scores[m])) return PairMerger.Rule.NONE;
            int bits = Float.floatToIntBits(scores[m]);
            int ordered = bits ^ ((bits >> 31) & 0x7fffffff); // signed int order == float order
            return ((long) ~ordered << 32) | m;
        }

        /** Whether the naive rule could ever pick a merge of this score ({@code score > -inf}, not NaN). */
        private static boolean eligible(float score) { return score > Float.NEGATIVE_INFINITY; }

        int[] encode(String text) {
            if (text.isEmpty()) return new int[0];
            return PairMerger.merge(initialSymbols(text), this::candidate);
        }

        /** Dummy-prefix space, then one id per code point or its UTF-8 bytes as byte + 3. */
        private int[] initialSymbols(String text) {
            int[] ids = new int[text.length() * 3 + 1]; // a UTF-16 unit never needs more than 3 UTF-8 bytes
            int n = 0;
            if (spaceId >= 0) ids[n++] = spaceId;
            for (int i = 0; i < text.length(); ) {
                int cp = text.codePointAt(i);
                int len = Character.charCount(cp);
                int id = cp < 128 ? asciiIds[cp] : codePoints.get(cp);
                if (id >= 0) {
                    ids[n++] = id;
                } else {
                    // Same bytes as the reference (a lone surrogate encodes as '?').
                    for (byte b : text.substring(i, i + len).getBytes(StandardCharsets.UTF_8)) ids[n++] = (b & 0xff) + 3;
                }
                i += len;
            }
            return java.util.Arrays.copyOf(ids, n);
        }
    }
}
