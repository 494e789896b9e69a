package dev.mixprune.tokenizer;

/**
 * The merge loop of both BPE rules (SentencePiece's highest score first, byte-level's lowest rank
 * first): repeatedly merge the adjacent pair of symbols with the smallest priority, the leftmost on
 * ties, until no adjacent pair merges. O(n log n): symbols in a doubly linked list held in arrays
 * indexed by initial position, candidate merges in a binary min-heap of {@code long} keys (priority
 * in the high half, the left symbol's initial position in the low half). A merge keeps the left
 * symbol's position, so "smallest position" is "leftmost in the current list", and a position's
 * left symbol changes only by merging. After a merge the two pairs around it are pushed again; a
 * popped entry is stale, and skipped, when the pair now at its position has another priority.
 */
final class PairMerger {
    /** Which adjacent pairs merge, into what, in which order. */
    interface Rule {
        /** No merge. */
        long NONE = -1L;

        /**
         * {@code ((long) priority << 32) | mergedId} for symbols {@code left}, {@code right}
         * (smaller priorities merge first; a priority may be negative), or {@link #NONE}.
         */
        long candidate(int left, int right);
    }

    private PairMerger() {}

    /** Merges {@code ids} (overwritten) and returns the resulting symbols. */
    static int[] merge(int[] ids, Rule rule) {
        int n = ids.length;
        if (n < 2) return ids;
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] dead = new boolean[n];
        long[] initial = new long[n];
        int candidates = 0;
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            if (i + 1 < n) {
                long c = rule.candidate(ids[i], ids[i + 1]);
                if (c != Rule.NONE) initial[candidates++] = key(c, i);
            }
        }
        LongHeap heap = LongHeap.heapify(initial, candidates); // O(n) instead of n pushes
        int alive = n;
        while (!heap.isEmpty()) {
            long key = heap.pop();
            int p = (int) key; // low half: position of the left symbol
            if (dead[p]) continue;
            int q = next[p];
            if (q < 0) continue;
            long c = rule.candidate(ids[p], ids[q]);
            if (c == Rule.NONE || (c >> 32) != (key >> 32)) continue; // stale: the pair at p changed
            ids[p] = (int) c;
            dead[q] = true;
            alive--;
            next[p] = next[q];
            if (next[q] >= 0) prev[next[q]] = p;
            if (prev[p] >= 0) push(heap, rule, ids, prev[p], p);
            if (next[p] >= 0) push(heap, rule, ids, p, next[p]);
        }
        int[] out = new int[alive];
        int o = 0;
        for (int i = 0; i >= 0; i = next[i]) out[o++] = ids[i];
        return out;
    }

    private static void push(LongHeap heap, Rule rule, int[] ids, int left, int right) {
        long c = rule.candidate(ids[left], ids[right]);
        if (c != Rule.NONE) heap.push(key(c, left));
    }

    /** Heap key: the candidate's priority (signed) in the high half, the position in the low half. */
    private static long key(long candidate, int position) { return (candidate & 0xffffffff00000000L) | position; }
}
