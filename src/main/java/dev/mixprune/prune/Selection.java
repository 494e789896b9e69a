package dev.mixprune.prune;

import java.util.Arrays;

/**
 * Exact-count selection of the smallest scores, shared by all pruners.
 *
 * <p>Tie rule (deliberate deviation from the reference's {@code score <= threshold}): exactly
 * {@code k} entries are selected. All scores strictly below the k-th smallest value are taken,
 * then entries equal to it in ascending index order until k are taken. That is what a stable
 * ascending argsort followed by "take the first k" gives (Wanda's rule), and it never prunes a
 * weight when k = 0. Ordering follows {@link Double#compare}.
 */
public final class Selection {
    private Selection() {}

    /** Marks (sets true in {@code mask[maskOff + i]}) the k smallest of {@code score[0..n)}. */
    public static void markSmallest(double[] score, int n, int k, boolean[] mask, int maskOff) {
        if (k <= 0) return;
        if (k >= n) {
            Arrays.fill(mask, maskOff, maskOff + n, true);
            return;
        }
        double t = kthSmallest(Arrays.copyOf(score, n), n, k - 1);
        int taken = 0;
        for (int i = 0; i < n; i++) {
            if (Double.compare(score[i], t) < 0) { mask[maskOff + i] = true; taken++; }
        }
        for (int i = 0; i < n && taken < k; i++) {
            if (Double.compare(score[i], t) == 0) { mask[maskOff + i] = true; taken++; }
        }
    }

    /**
     * The value at index {@code k} of {@code a[0..n)} sorted ascending by {@link Double#compare}
     * (a is reordered). Introselect: quickselect with a median-of-three pivot and a three-way
     * partition (ties are common: zeros, repeated magnitudes), falling back to sorting the
     * remaining range if the partitions stop shrinking. O(n) on average instead of the O(n log n)
     * sort; magnitude pruning selects among all 45M weights of a 7B w1 at once.
     */
    static double kthSmallest(double[] a, int n, int k) {
        if (k < 0 || k >= n) throw new IllegalArgumentException("k = " + k + " outside [0, " + n + ")");
        int lo = 0, hi = n - 1;
        int budget = 2 * (32 - Integer.numberOfLeadingZeros(n)) + 8;
        while (hi > lo) {
            if (hi - lo < 48 || budget-- == 0) {
                Arrays.sort(a, lo, hi + 1);
                return a[k];
            }
            int mid = (lo + hi) >>> 1;
            double x = a[lo], y = a[mid], z = a[hi];
            double pivot = Double.compare(x, y) < 0
                    ? (Double.compare(y, z) < 0 ? y : Double.compare(x, z) < 0 ? z : x)
                    : (Double.compare(x, z) < 0 ? x : Double.compare(y, z) < 0 ? z : y);
            // a[lo..lt) < pivot, a[lt..i) == pivot, a(gt..hi] > pivot
            int lt = lo, i = lo, gt = hi;
            while (i <= gt) {
                int c = Double.compare(a[i], pivot);
                if (c < 0) { double t = a[lt]; a[lt++] = a[i]; a[i++] = t; }
                else if (c > 0) { double t = a[gt]; a[gt--] = a[i]; a[i] = t; }
                else i++;
            }
            if (k < lt) hi = lt - 1;
            else if (k > gt) lo = gt + 1;
            else return pivot;
        }
        return a[k];
    }

    /**
     * N:M group rule on one group of {@code g <= M} scores starting at {@code off}: marks the
     * {@code max(0, g - keep)} smallest (ties: lower index first). Insertion-sort sized for small M.
     */
    public static void markGroup(double[] score, int off, int g, int keep, boolean[] mask, int maskOff) {
        markGroup(score, off, g, keep, mask, maskOff, new int[g]);
    }

    /** As {@link #markGroup(double[], int, int, int, boolean[], int)} with a scratch array of at least g ints (no allocation per group). */
    public static void markGroup(double[] score, int off, int g, int keep, boolean[] mask, int maskOff, int[] idx) {
        int prune = g - keep;
        if (prune <= 0) return;
        for (int i = 0; i < g; i++) idx[i] = i;
        for (int i = 1; i < g; i++) {
            int v = idx[i];
            int j = i - 1;
            while (j >= 0 && Double.compare(score[off + idx[j]], score[off + v]) > 0) { idx[j + 1] = idx[j]; j--; }
            idx[j + 1] = v;
        }
        for (int i = 0; i < prune; i++) mask[maskOff + idx[i]] = true;
    }

    /** Applies the N:M rule to a whole row of scores (groups start at multiples of M; short tail group). */
    public static void markRowNM(double[] score, int cols, Pattern.NM p, boolean[] mask, int maskOff) {
        markRowNM(score, cols, p, mask, maskOff, new int[p.m()]);
    }

    /** As {@link #markRowNM(double[], int, Pattern.NM, boolean[], int)} with a scratch array of at least M ints. */
    public static void markRowNM(double[] score, int cols, Pattern.NM p, boolean[] mask, int maskOff, int[] scratch) {
        for (int c = 0; c < cols; c += p.m()) {
            markGroup(score, c, Math.min(p.m(), cols - c), p.n(), mask, maskOff + c, scratch);
        }
    }

    /**
     * Where "the k smallest of a group in (score, index) order" ends, so that membership is a
     * comparison instead of a selection: entry i with score s is among them iff
     * {@code Double.compare(s, value) < 0}, or {@code == 0} and {@code i <= lastTie}. That is
     * exactly the set {@link #markSmallest} marks (the k-th smallest value, everything below it,
     * then its ties in ascending index order). The search stores one cut per level and group instead of
     * a rank per weight.
     */
    public record Cut(double value, int lastTie) {
        /** k = 0: nothing is taken. */
        public static final Cut NONE = new Cut(Double.NEGATIVE_INFINITY, -1);
        /** k >= n: everything is taken (NaN orders above every number in Double.compare). */
        public static final Cut ALL = new Cut(Double.NaN, Integer.MAX_VALUE);

        public boolean takes(double score, int index) {
            int c = Double.compare(score, value);
            return c < 0 || (c == 0 && index <= lastTie);
        }
    }

    /**
     * The {@link Cut} of the k smallest of {@code score[0..n)} for every k in {@code ks} (any order,
     * repeats allowed), by a radix selection instead of a sort. Scores that are all {@code >= +0.0}
     * (what |w| and |w| * norm give) order like their bit patterns, so one pass finds the range of
     * the bit patterns, a second counts them into up to 2^16 equal-width buckets of that range (equal
     * scores share a bucket, so a run of ties never straddles two), and a third gathers the few
     * buckets that hold a needed rank; only those are sorted. Three cheap passes instead of a full
     * sort per row (the level cuts of a 7B search sort 0.2 G scores per block). Scores with a sign
     * bit or NaN (a broken model) take the reference path. Equal, cut for cut, to
     * {@link #cutsBySort}.
     */
    public static Cut[] cuts(double[] score, int n, long[] ks) {
        int[] ranks = neededRanks(n, ks);
        double[] value = new double[ranks.length];
        int[] first = new int[ranks.length], last = new int[ranks.length];
        if (ranks.length == 0) return resolve(score, n, ks, ranks, value, first, last);
        long min = Long.MAX_VALUE, max = 0;
        for (int i = 0; i < n; i++) {
            long b = Double.doubleToRawLongBits(score[i]);
            if (b < 0 || b > POSITIVE_INFINITY_BITS) return cutsBySort(score, n, ks); // sign bit (incl. -0.0) or NaN
            min = Math.min(min, b);
            max = Math.max(max, b);
        }
        int bits = Math.clamp(31 - Integer.numberOfLeadingZeros(n), 4, 16); // about n / 2..n buckets
        int shift = Math.max(0, 64 - Long.numberOfLeadingZeros(max - min) - bits);
        int buckets = (int) ((max - min) >>> shift) + 1;
        int[] start = new int[buckets + 1];
        for (int i = 0; i < n; i++) start[(int) ((Double.doubleToRawLongBits(score[i]) - min) >>> shift) + 1]++;
        for (int b = 0; b < buckets; b++) start[b + 1] += start[b];
        // The buckets holding a needed rank, each gathered into its own array (in index order) and sorted.
        int[] slot = new int[buckets];
        Arrays.fill(slot, -1);
        int[] bucketOf = new int[ranks.length];
        int used = 0;
        for (int r = 0, b = 0; r < ranks.length; r++) {
            while (start[b + 1] <= ranks[r]) b++;
            bucketOf[r] = b;
            if (slot[b] < 0) slot[b] = used++;
        }
        double[][] gathered = new double[used][];
        int[] fill = new int[used];
        for (int b = 0; b < buckets; b++) if (slot[b] >= 0) gathered[slot[b]] = new double[start[b + 1] - start[b]];
        for (int i = 0; i < n; i++) {
            int g = slot[(int) ((Double.doubleToRawLongBits(score[i]) - min) >>> shift)];
            if (g >= 0) gathered[g][fill[g]++] = score[i];
        }
        for (double[] g : gathered) Arrays.sort(g);
        for (int r = 0; r < ranks.length; r++) {
            int b = bucketOf[r], at = start[b];
            double[] g = gathered[slot[b]];
            int j = ranks[r] - at;
            value[r] = g[j];
            first[r] = at + firstIndexOf(g, 0, j);
            last[r] = at + lastIndexOf(g, j, g.length);
        }
        return resolve(score, n, ks, ranks, value, first, last);
    }

    private static final long POSITIVE_INFINITY_BITS = Double.doubleToRawLongBits(Double.POSITIVE_INFINITY);

    /**
     * The reference for {@link #cuts}: one full sort of a copy, every k-th smallest value and its
     * run of ties read from the sorted array.
     */
    public static Cut[] cutsBySort(double[] score, int n, long[] ks) {
        int[] ranks = neededRanks(n, ks);
        double[] sorted = Arrays.copyOf(score, n);
        Arrays.sort(sorted);
        double[] value = new double[ranks.length];
        int[] first = new int[ranks.length], last = new int[ranks.length];
        for (int r = 0; r < ranks.length; r++) {
            value[r] = sorted[ranks[r]];
            first[r] = firstIndexOf(sorted, 0, ranks[r]);
            last[r] = lastIndexOf(sorted, ranks[r], n);
        }
        return resolve(score, n, ks, ranks, value, first, last);
    }

    /** The distinct positions k - 1 (ascending) of the ks that cut inside [0, n): 0 < k < n. */
    private static int[] neededRanks(int n, long[] ks) {
        return Arrays.stream(ks).filter(k -> k > 0 && k < n).mapToInt(k -> (int) (k - 1)).sorted().distinct().toArray();
    }

    /** Cuts from each needed rank's value and run of ties [first, last] in sorted order. */
    private static Cut[] resolve(double[] score, int n, long[] ks, int[] ranks, double[] value, int[] first, int[] last) {
        Cut[] out = new Cut[ks.length];
        // Levels whose k ends inside a run of ties: value -> (take, level) resolved by a scan in index order.
        java.util.TreeMap<Double, java.util.List<long[]>> split = new java.util.TreeMap<>(Double::compare);
        for (int l = 0; l < ks.length; l++) {
            long k = ks[l];
            if (k <= 0) { out[l] = Cut.NONE; continue; }
            if (k >= n) { out[l] = Cut.ALL; continue; }
            int r = Arrays.binarySearch(ranks, (int) k - 1);
            double t = value[r];
            int lo = first[r], hi = last[r];
            int take = (int) k - lo; // ties of t taken, in index order
            if (take == hi - lo + 1) out[l] = new Cut(t, Integer.MAX_VALUE);
            else split.computeIfAbsent(t, x -> new java.util.ArrayList<>()).add(new long[]{take, l});
        }
        if (!split.isEmpty()) {
            double[] values = new double[split.size()];
            long[][][] wants = new long[split.size()][][];
            int j = 0;
            for (var e : split.entrySet()) {
                values[j] = e.getKey();
                wants[j] = e.getValue().stream().sorted(java.util.Comparator.comparingLong(a -> a[0])).toArray(long[][]::new);
                j++;
            }
            int[] seen = new int[values.length], next = new int[values.length];
            for (int i = 0; i < n; i++) {
                int v = Arrays.binarySearch(values, score[i]);
                if (v < 0) continue;
                seen[v]++;
                while (next[v] < wants[v].length && wants[v][next[v]][0] == seen[v]) {
                    out[(int) wants[v][next[v]][1]] = new Cut(values[v], i);
                    next[v]++;
                }
            }
        }
        return out;
    }

    /** First index of sorted[from..i] whose value equals sorted[i] (binary search: runs of ties may be long). */
    private static int firstIndexOf(double[] sorted, int from, int i) {
        double t = sorted[i];
        int lo = from, hi = i; // answer in [lo, hi]
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Double.compare(sorted[mid], t) < 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /** Last index of sorted[0..n) whose value equals sorted[i]. */
    private static int lastIndexOf(double[] sorted, int i, int n) {
        double t = sorted[i];
        int lo = i, hi = n - 1; // answer in [lo, hi]
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (Double.compare(sorted[mid], t) > 0) hi = mid - 1; else lo = mid;
        }
        return lo;
    }
}
