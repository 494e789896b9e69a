package dev.mixprune.tokenizer;

/** Binary min-heap of longs. */
final class LongHeap {
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
