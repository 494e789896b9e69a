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
        int prune = g - keep;
        if (prune <= 0) return;
        int[] idx = new int[g];
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
        for (int c = 0; c < cols; c += p.m()) {
            markGroup(score, c, Math.min(p.m(), cols - c), p.n(), mask, maskOff + c);
        }
    }
}
