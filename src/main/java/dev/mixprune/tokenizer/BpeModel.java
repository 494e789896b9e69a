package dev.mixprune.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rank-ordered BPE over one pre-tokenized word (HF tokenizers' {@code BPE} model, protocol T2 step 3):
 * start from one symbol per character, repeatedly merge the adjacent pair with the lowest merge
 * rank, the leftmost on ties, until no adjacent pair has a merge.
 *
 * <p>O(n log n) per word through {@link PairMerger} with the priority "rank" (a rank names one
 * pair, so an entry whose pair changed is recognised by its rank). Words repeat a lot in text, so
 * results are cached (bounded; the cache never changes a result). {@link #naiveEncode} is the quadratic
 * reference the tests compare against.
 */
final class BpeModel {
    private static final int CACHE_LIMIT = 1 << 17;

    private final Map<String, Integer> vocab;
    private final PrimitiveMap pairRank;   // (left id, right id) -> rank
    private final int[] mergedId;          // rank -> id of the merged symbol
    private final List<String[]> merges;   // rank -> (left, right), as the file spells them
    private final int[] alphabetId;        // byte-level alphabet char -> id, -1 if absent
    private final boolean ignoreMerges;
    private final int unk;                 // id of the unknown token, -1 if none
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab  token -> id (taken over; not to be changed afterwards)
     * @param merges merge pairs in rank order; a repeated pair takes its last rank, as tokenizers'
     *               merge map does
     * @throws IllegalArgumentException naming {@code merges[i]} when a side or the concatenation is no token
     */
    BpeModel(Map<String, Integer> vocab, List<String[]> merges, boolean ignoreMerges, int unk) {
        this.vocab = java.util.Collections.unmodifiableMap(vocab);
        this.merges = List.copyOf(merges);
        this.ignoreMerges = ignoreMerges;
        this.unk = unk;
        this.pairRank = new PrimitiveMap(2 * merges.size());
        this.mergedId = new int[merges.size()];
        for (int r = 0; r < merges.size(); r++) {
            String[] m = merges.get(r);
            Integer l = vocab.get(m[0]), rt = vocab.get(m[1]), merged = vocab.get(m[0] + m[1]);
            if (l == null || rt == null || merged == null) {
                String missing = l == null ? m[0] : rt == null ? m[1] : m[0] + m[1];
                throw new IllegalArgumentException("merges[" + r + "]: \"" + missing + "\" is not a token of the vocabulary");
            }
            mergedId[r] = merged;
            pairRank.put(pairKey(l, rt), r);
        }
        alphabetId = new int[0x144];
        Arrays.fill(alphabetId, -1);
        for (int b = 0; b < 256; b++) {
            char c = ByteLevelAlphabet.charOf(b);
            Integer id = vocab.get(String.valueOf(c));
            if (id != null) alphabetId[c] = id;
        }
    }

    Map<String, Integer> vocab() { return vocab; }

    List<String[]> merges() { return merges; }

    boolean ignoreMerges() { return ignoreMerges; }

    int unk() { return unk; }

    private static long pairKey(int left, int right) { return ((long) left << 32) | (right & 0xffffffffL); }

    /** Rank of merging {@code left} and {@code right}, or -1. */
    private int rank(int left, int right) { return pairRank.get(pairKey(left, right)); }

    /** Appends the ids of one word to {@code out}. */
    void encodeWord(String word, IntList out) {
        int[] ids = cache.get(word);
        if (ids == null) {
            ids = encodeUncached(word);
            if (cache.size() < CACHE_LIMIT) cache.put(word, ids);
        }
        out.addAll(ids);
    }

    int[] encodeUncached(String word) {
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) return new int[]{whole};
        }
        return PairMerger.merge(initialSymbols(word), this::candidate);
    }

    /** The pair's merge for {@link PairMerger}: priority = its rank. */
    private long candidate(int left, int right) {
        int r = rank(left, right);
        return r < 0 ? PairMerger.Rule.NONE : ((long) r << 32) | mergedId[r];
    }

    /**
     * One id per character: byte-level alphabet characters through a table, anything else (a word
     * from a pre-tokenizer without ByteLevel) by code point; a character missing from the vocabulary
     * becomes the unknown token, or is dropped when there is none (as tokenizers does).
     */
    private int[] initialSymbols(String word) {
        int[] ids = new int[word.length()];
        int n = 0;
        for (int i = 0; i < word.length(); ) {
            char c = word.charAt(i);
            int id;
            int len = 1;
            if (c < alphabetId.length && ByteLevelAlphabet.byteOf(c) >= 0) {
                id = alphabetId[c];
            } else {
                int cp = word.codePointAt(i);
                len = Character.charCount(cp);
                Integer v = vocab.get(word.substring(i, i + len));
                id = v == null ? -1 : v;
            }
            if (id < 0) id = unk;
            if (id >= 0) ids[n++] = id;
            i += len;
        }
        return n == ids.length ? ids : Arrays.copyOf(ids, n);
    }

    /** The reference: rescan every adjacent pair for the lowest rank (leftmost on ties), merge, repeat. O(n^2) per word. */
    int[] naiveEncode(String word) {
        if (ignoreMerges && vocab.containsKey(word)) return new int[]{vocab.get(word)};
        List<Integer> s = new ArrayList<>();
        for (int id : initialSymbols(word)) s.add(id);
        while (true) {
            int best = -1, at = -1;
            for (int i = 0; i + 1 < s.size(); i++) {
                int r = rank(s.get(i), s.get(i + 1));
                if (r >= 0 && (best < 0 || r < best)) {
                    best = r;
                    at = i;
                }
            }
            if (at < 0) break;
            s.set(at, mergedId[best]);
            s.remove(at + 1);
        }
        return s.stream().mapToInt(Integer::intValue).toArray();
    }
}
