package dev.mixprune.prune;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Introselect against a full sort, and the exact-count selection that uses it. */
class SelectionTest {

    @Test
    void kthSmallestMatchesSortingOnAwkwardInputs() {
        Random r = new Random(11);
        for (int trial = 0; trial < 400; trial++) {
            int n = 1 + r.nextInt(trial < 300 ? 200 : 20_000);
            double[] a = new double[n];
            int kind = trial % 5;
            for (int i = 0; i < n; i++) {
                a[i] = switch (kind) {
                    case 0 -> r.nextGaussian();
                    case 1 -> r.nextInt(3);                 // heavy ties
                    case 2 -> i;                            // sorted
                    case 3 -> n - i;                        // reversed
                    default -> r.nextBoolean() ? 0.0 : Math.abs(r.nextGaussian()); // half zeros
                };
            }
            double[] sorted = a.clone();
            Arrays.sort(sorted);
            int k = r.nextInt(n);
            assertThat(Selection.kthSmallest(a.clone(), n, k)).as("trial %d n %d k %d", trial, n, k).isEqualTo(sorted[k]);
            assertThat(Selection.kthSmallest(a.clone(), n, 0)).isEqualTo(sorted[0]);
            assertThat(Selection.kthSmallest(a.clone(), n, n - 1)).isEqualTo(sorted[n - 1]);
        }
    }

    @Test
    void markSmallestTakesExactlyKWithLowerIndicesFirstOnTies() {
        Random r = new Random(5);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(3000);
            double[] s = new double[n];
            for (int i = 0; i < n; i++) s[i] = r.nextInt(1 + trial % 7);
            int k = r.nextInt(n + 1);
            boolean[] mask = new boolean[n + 3];
            Selection.markSmallest(s, n, k, mask, 3);
            // Expected: stable ascending argsort, first k.
            Integer[] idx = new Integer[n];
            for (int i = 0; i < n; i++) idx[i] = i;
            Arrays.sort(idx, (x, y) -> Double.compare(s[x], s[y]));
            boolean[] expected = new boolean[n + 3];
            for (int i = 0; i < k; i++) expected[3 + idx[i]] = true;
            assertThat(mask).as("trial %d", trial).isEqualTo(expected);
        }
    }

    @Test
    void cutsTakeExactlyWhatMarkSmallestMarksForEveryKTiesIncluded() {
        Random r = new Random(17);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + r.nextInt(trial < 200 ? 60 : 5000);
            double[] s = new double[n];
            int kind = trial % 4;
            for (int i = 0; i < n; i++) {
                s[i] = switch (kind) {
                    case 0 -> r.nextInt(1 + trial % 5);                          // heavy ties
                    case 1 -> r.nextBoolean() ? 0.0 : Math.abs(r.nextGaussian()); // half zeros
                    case 2 -> Math.abs(r.nextGaussian());
                    default -> (r.nextInt(3) == 0 ? -0.0 : 0.0);                // signed zeros only
                };
            }
            long[] ks = new long[12];
            for (int j = 0; j < ks.length; j++) ks[j] = j == 0 ? 0 : j == 1 ? n : r.nextInt(n + 1);
            Selection.Cut[] cuts = Selection.cuts(s, n, ks);
            for (int j = 0; j < ks.length; j++) {
                boolean[] want = new boolean[n];
                Selection.markSmallest(s, n, (int) ks[j], want, 0);
                boolean[] got = new boolean[n];
                for (int i = 0; i < n; i++) got[i] = cuts[j].takes(s[i], i);
                assertThat(got).as("trial %d n %d k %d", trial, n, ks[j]).isEqualTo(want);
            }
        }
    }
    /** The radix selection of {@link Selection#cuts} against the sorting reference, cut for cut, on awkward sizes and scores. */
    @Test
    void cutsBySelectionEqualCutsBySort() {
        Random r = new Random(23);
        for (int trial = 0; trial < 500; trial++) {
            int n = 1 + r.nextInt(trial < 300 ? 70 : trial < 480 ? 12_000 : 100_000);
            double[] s = new double[n];
            int kind = trial % 9;
            for (int i = 0; i < n; i++) {
                double g = Math.abs(r.nextGaussian());
                s[i] = switch (kind) {
                    case 0 -> Math.abs((float) (r.nextGaussian() * 0.02)) * (0.5 + r.nextDouble()); // Wanda-like
                    case 1 -> r.nextInt(1 + trial % 4);                                           // heavy ties
                    case 2 -> r.nextInt(4) == 0 ? 0.0 : g;                                         // many zeros
                    case 3 -> r.nextInt(500) == 0 ? g * 1e30 : g * 1e-3;                           // outliers stretch the range
                    case 4 -> Double.MIN_VALUE * r.nextInt(50);                                   // subnormals and zero
                    case 5 -> r.nextInt(100) == 0 ? Double.POSITIVE_INFINITY : g;                  // infinities
                    case 6 -> r.nextInt(50) == 0 ? -0.0 : g;                                       // signed zeros: reference path
                    case 7 -> r.nextInt(50) == 0 ? Double.NaN : g;                                 // NaN: reference path
                    default -> 1.0 + Math.ulp(1.0) * r.nextInt(3);                                 // a tiny range of bit patterns
                };
            }
            long[] ks = new long[41];
            for (int j = 0; j < ks.length; j++) ks[j] = j < 40 ? Math.round(n * j * 0.025) : r.nextInt(n + 2);
            assertThat(Selection.cuts(s, n, ks)).as("trial %d kind %d n %d", trial, kind, n).isEqualTo(Selection.cutsBySort(s, n, ks));
        }
    }
}
