package dev.mixprune.io;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Encoder/decoder per docs/protocols.md T (llama2.c run.c's greedy BPE rule).
 * {@link #encode} runs the O(n log n) {@link HeapBpe}; {@link NaiveBpe} is the O(n^2) reference
 * it is tested against, id for id.
 */
public class Tokenizer {
    protected final Vocabulary vocab;
    private final HeapBpe bpe;

    public Tokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        this.bpe = new HeapBpe(vocab);
    }

    public Vocabulary vocabulary() { return vocab; }

    /** [BOS] + encode(text), the document encoding of protocols.md T. */
    public int[] encodeDocument(String text) { return encode(text, true, false); }

    public int[] encode(String text, boolean bos, boolean eos) {
        int[] body = bpe.encode(text);
        int head = bos ? 1 : 0;
        int[] out = new int[head + body.length + (eos ? 1 : 0)];
        if (bos) out[0] = Vocabulary.BOS;
        System.arraycopy(body, 0, out, head, body.length);
        if (eos) out[out.length - 1] = Vocabulary.EOS;
        return out;
    }

    /** Bytes of one token as printed after {@code prev} (strips the leading space after BOS; raw bytes for <0xHH>). */
    public byte[] decodeBytes(int prev, int token) {
        byte[] p = vocab.piece(token);
        int from = 0;
        if (prev == Vocabulary.BOS && p.length > 0 && p[0] == ' ') from = 1;
        if (p.length == 6 && p[0] == '<' && p[1] == '0' && p[2] == 'x' && p[5] == '>') {
            int hi = Character.digit(p[3], 16), lo = Character.digit(p[4], 16);
            if (hi >= 0 && lo >= 0) return new byte[]{(byte) (hi * 16 + lo)};
        }
        byte[] r = new byte[p.length - from];
        System.arraycopy(p, from, r, 0, r.length);
        return r;
    }

    /** Decodes a sequence whose first element is the context token before ids[1]. */
    public byte[] decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == Vocabulary.BOS || ids[i] == Vocabulary.EOS) continue;
            out.writeBytes(decodeBytes(i == 0 ? -1 : ids[i - 1], ids[i]));
        }
        return out.toByteArray();
    }

    public String decodeString(int[] ids) { return new String(decode(ids), StandardCharsets.UTF_8); }

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
     * The same greedy rule as {@link NaiveBpe} in O(n log n): symbols live in a doubly linked list
     * (arrays indexed by their initial position), candidate merges in a binary min-heap of longs
     * keyed by (score descending, left position ascending). A merge only changes the two pairs
     * around it, so those are pushed again; entries whose pair has changed since they were pushed
     * are recognised when popped (the pair now at that position has a different key) and skipped.
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

        /** Heap key: smaller is better; high half orders scores descending, low half positions ascending. */
        private static long heapKey(float score, int position) {
            int bits = Float.floatToIntBits(score);
            int ordered = bits ^ ((bits >> 31) & 0x7fffffff); // signed int order == float order
            return ((long) ~ordered << 32) | position;
        }

        /** Whether the naive rule could ever pick a merge of this score ({@code score > -inf}, not NaN). */
        private static boolean eligible(float score) { return score > Float.NEGATIVE_INFINITY; }

        int[] encode(String text) {
            if (text.isEmpty()) return new int[0];
            int[] ids = initialSymbols(text);
            int n = ids.length;
            int[] prev = new int[n];
            int[] next = new int[n];
            boolean[] dead = new boolean[n];
            for (int i = 0; i < n; i++) {
                prev[i] = i - 1;
                next[i] = i + 1 < n ? i + 1 : -1;
            }
            long[] initial = new long[Math.max(16, n)];
            int candidates = 0;
            for (int i = 0; i + 1 < n; i++) {
                int m = merge(ids[i], ids[i + 1]);
                if (m >= 0 && eligible(scores[m])) initial[candidates++] = heapKey(scores[m], i);
            }
            LongHeap heap = LongHeap.heapify(initial, candidates); // O(n) instead of n pushes
            int alive = n;
            while (!heap.isEmpty()) {
                long key = heap.pop();
                int p = (int) key; // low half: position of the left symbol
                if (dead[p]) continue;
                int r = next[p];
                if (r < 0) continue;
                int m = merge(ids[p], ids[r]);
                if (m < 0 || heapKey(scores[m], p) != key) continue; // stale entry
                ids[p] = m;
                dead[r] = true;
                alive--;
                next[p] = next[r];
                if (next[r] >= 0) prev[next[r]] = p;
                if (prev[p] >= 0) pushPair(heap, ids, prev[p], p);
                if (next[p] >= 0) pushPair(heap, ids, p, next[p]);
            }
            int[] out = new int[alive];
            int o = 0;
            for (int i = 0; i >= 0; i = next[i]) out[o++] = ids[i];
            return out;
        }

        private void pushPair(LongHeap heap, int[] ids, int left, int right) {
            int m = merge(ids[left], ids[right]);
            if (m >= 0 && eligible(scores[m])) heap.push(heapKey(scores[m], left));
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

    /** Open-addressing long -> non-negative int map; {@link #get} returns -1 when absent. */
    static final class PrimitiveMap {
        private long[] keys;
        private int[] values; // -1 marks an empty slot
        private int size;

        PrimitiveMap(int expected) {
            int cap = Integer.highestOneBit(Math.max(16, expected * 2) - 1) << 1;
            keys = new long[cap];
            values = new int[cap];
            java.util.Arrays.fill(values, -1);
        }

        private static int slot(long key, int mask) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 32)) & mask;
        }

        int get(long key) {
            int mask = keys.length - 1;
            for (int i = slot(key, mask); ; i = (i + 1) & mask) {
                if (values[i] < 0) return -1;
                if (keys[i] == key) return values[i];
            }
        }

        void put(long key, int value) {
            if (value < 0) throw new IllegalArgumentException("negative value " + value);
            if (2 * (size + 1) > keys.length) grow();
            int mask = keys.length - 1;
            for (int i = slot(key, mask); ; i = (i + 1) & mask) {
                if (values[i] < 0) {
                    keys[i] = key;
                    values[i] = value;
                    size++;
                    return;
                }
                if (keys[i] == key) {
                    values[i] = value;
                    return;
                }
            }
        }

        private void grow() {
            long[] oldKeys = keys;
            int[] oldValues = values;
            keys = new long[oldKeys.length * 2];
            values = new int[oldKeys.length * 2];
            java.util.Arrays.fill(values, -1);
            size = 0;
            for (int i = 0; i < oldKeys.length; i++) if (oldValues[i] >= 0) put(oldKeys[i], oldValues[i]);
        }
    }

    /** Binary min-heap of longs. */
    static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) { a = new long[Math.max(1, capacity)]; }

        /** A heap over the first {@code size} values of {@code values} (taken over, not copied), built bottom-up. */
        static LongHeap heapify(long[] values, int size) {
            LongHeap h = new LongHeap(0);
            h.a = values.length > 0 ? values : new long[1];
            h.size = size;
            for (int i = (size >>> 1) - 1; i >= 0; i--) h.siftDown(i, h.a[i]);
            return h;
        }

        boolean isEmpty() { return size == 0; }

        void push(long v) {
            if (size == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (a[parent] <= v) break;
                a[i] = a[parent];
                i = parent;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            siftDown(0, a[--size]);
            return top;
        }

        /** Places {@code v} at or below slot {@code i}, moving smaller children up. */
        private void siftDown(int i, long v) {
            int half = size >>> 1;
            while (i < half) {
                int c = 2 * i + 1;
                if (c + 1 < size && a[c + 1] < a[c]) c++;
                if (v <= a[c]) break;
                a[i] = a[c];
                i = c;
            }
            a[i] = v;
        }
    }
}
