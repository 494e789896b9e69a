package dev.mixprune.allocate;

import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.PruneMethod;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.mixprune.allocate.BudgetTest.STORIES;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The search's budget-exact variation (issue 15): mutations are level swaps that stay inside the
 * budget's window by themselves, crossover children are repaired with the fewest moves.
 */
class ExactVariationTest {

    static int movesBetween(int[] a, int[] b) {
        int d = 0;
        for (int i = 0; i < a.length; i++) d += Math.abs(a[i] - b[i]);
        return d;
    }

    static int sum(int[] g) { return Arrays.stream(g).sum(); }

    @Test
    void mutationStaysInsideTheWindowWithSwapsOnlyForEveryMethodAndTarget() {
        SearchConfig cfg = SearchConfig.defaults(3);
        for (PruneMethod m : PruneMethod.values()) {
            for (double target : new double[]{0.5, 0.7, 0.75, 0.8}) {
                SearchSpace sp = new SearchSpace(STORIES, Levels.unstructured(0.025), Granularity.LAYER, m);
                Budget b = Budget.of(sp, target);
                EvolutionarySearch es = new EvolutionarySearch(b, new EvolutionarySearchTest.Synthetic(sp, 1, 0), cfg);
                Rng rng = new Rng(11);
                int changed = 0;
                int[] cur = b.roundToLevels(Budget.uniformDesired(sp, target));
                for (int t = 0; t < 400; t++) {
                    int[] child = es.mutate(cur.clone(), rng);
                    assertThat(b.accepts(child)).as("%s %.2f step %d", m, target, t).isTrue();
                    // Only swaps: as many levels up as down, at most maxFlips of each. The earlier
                    // swap + random repair broke both on about a third of the mutations.
                    assertThat(sum(child)).isEqualTo(sum(cur));
                    // (two swaps may cancel: 0 moves)
                    assertThat(movesBetween(child, cur)).isLessThanOrEqualTo(2 * cfg.maxFlips());
                    if (movesBetween(child, cur) > 0) changed++;
                    cur = child;
                }
                assertThat(changed).isGreaterThan(380);
            }
        }
    }

    @Test
    void swapsAreChosenUniformlyAmongAllWindowKeepingPairs() {
        SearchSpace sp = new SearchSpace(STORIES, Levels.unstructured(0.025), Granularity.LAYER, PruneMethod.WANDA);
        Budget b = Budget.of(sp, 0.75);
        int[] g = b.roundToLevels(Budget.uniformDesired(sp, 0.75));
        // Brute force: every (a up, b down) pair inside the window.
        List<String> valid = new ArrayList<>();
        for (int a = 0; a < g.length; a++) {
            for (int c = 0; c < g.length; c++) {
                if (a == c || g[a] == sp.maxLevel() || g[c] == 0) continue;
                int[] t = g.clone();
                t[a]++;
                t[c]--;
                if (b.accepts(t)) valid.add(Arrays.toString(t));
            }
        }
        assertThat(b.swapCount(g)).isEqualTo(valid.size()).isGreaterThan(10);
        Map<String, Integer> hits = new HashMap<>();
        Rng rng = new Rng(5);
        int draws = 200 * valid.size();
        for (int i = 0; i < draws; i++) {
            int[] t = g.clone();
            assertThat(b.randomSwap(t, rng)).isTrue();
            hits.merge(Arrays.toString(t), 1, Integer::sum);
        }
        assertThat(hits.keySet()).containsExactlyInAnyOrderElementsOf(valid);
        // 200 expected per pair: every count within 40 % (binomial sd ~14).
        hits.values().forEach(h -> assertThat(h).isBetween(120, 280));
    }

    @Test
    void mutationIsDeterministicForASeed() {
        SearchSpace sp = new SearchSpace(STORIES, Levels.unstructured(0.025), Granularity.LAYER, PruneMethod.WANDA);
        Budget b = Budget.of(sp, 0.75);
        EvolutionarySearch es = new EvolutionarySearch(b, new EvolutionarySearchTest.Synthetic(sp, 1, 0), SearchConfig.defaults(0));
        int[] start = b.roundToLevels(Budget.uniformDesired(sp, 0.75));
        List<String> one = walk(es, start, new Rng(9)), two = walk(es, start, new Rng(9)), other = walk(es, start, new Rng(10));
        assertThat(one).isEqualTo(two);
        assertThat(one).isNotEqualTo(other);
    }

    private static List<String> walk(EvolutionarySearch es, int[] start, Rng rng) {
        List<String> out = new ArrayList<>();
        int[] cur = start.clone();
        for (int i = 0; i < 50; i++) {
            cur = es.mutate(cur.clone(), rng);
            out.add(Arrays.toString(cur));
        }
        return out;
    }

    @Test
    void crossoverRepairUsesTheFewestMovesItFinds() {
        SearchSpace sp = new SearchSpace(STORIES, Levels.unstructured(0.025), Granularity.LAYER, PruneMethod.WANDA);
        Budget b = Budget.of(sp, 0.75);
        Rng rng = new Rng(21);
        List<int[]> parents = InitialPopulation.fisher(b, zScores(sp.geneCount(), 4), InitialPopulation.DEFAULT_STRENGTHS);
        int inside = 0, one = 0, two = 0;
        for (int t = 0; t < 300; t++) {
            int[] x = parents.get(rng.nextInt(parents.size())), y = parents.get(rng.nextInt(parents.size()));
            int[] child = x.clone();
            for (int g = 0; g < child.length; g++) if (rng.nextInt(2) == 1) child[g] = y[g];
            int[] before = child.clone();
            boolean singleExists = singleMoveFixes(b, before);
            int moves = b.repairMinimal(child, rng);
            assertThat(b.accepts(child)).isTrue();
            assertThat(moves).isEqualTo(movesBetween(child, before));
            if (b.accepts(before)) { assertThat(moves).isZero(); inside++; }
            else if (singleExists) { assertThat(moves).isEqualTo(1); one++; }
            else { assertThat(moves).isGreaterThanOrEqualTo(2); two++; }
        }
        assertThat(inside + one + two).isEqualTo(300);
        assertThat(one + two).isGreaterThan(50);   // the narrow window: most children need a repair
    }

    private static boolean singleMoveFixes(Budget b, int[] g) {
        for (int i = 0; i < g.length; i++) {
            for (int d = -1; d <= 1; d += 2) {
                int l = g[i] + d;
                if (l < 0 || l > b.space().maxLevel()) continue;
                int[] t = g.clone();
                t[i] = l;
                if (b.accepts(t)) return true;
            }
        }
        return false;
    }

    static double[] zScores(int n, long seed) {
        Random r = new Random(seed);
        double[] z = new double[n];
        for (int i = 0; i < n; i++) z[i] = r.nextGaussian();
        return z;
    }

    @Test
    void randomShapesAndLevels() {
        Random r = new Random(3);
        int checked = 0;
        for (int trial = 0; trial < 150; trial++) {
            LlamaConfig c = BudgetTest.randomConfig(r);
            Levels lv = r.nextBoolean() ? Levels.nm(3 + r.nextInt(8)) : Levels.unstructured(new double[]{0.0125, 0.025, 0.05}[r.nextInt(3)]);
            SearchSpace sp = new SearchSpace(c, lv, r.nextBoolean() ? Granularity.LAYER : Granularity.BLOCK,
                    PruneMethod.values()[r.nextInt(3)]);
            double target = 0.3 + 0.6 * r.nextDouble();
            Budget b;
            try {
                b = Budget.of(sp, target);
            } catch (dev.mixprune.UsageException e) {
                continue;
            }
            EvolutionarySearch es = new EvolutionarySearch(b, new EvolutionarySearchTest.Synthetic(sp, 1, 0), SearchConfig.defaults(trial));
            Rng rng = new Rng(trial);
            int[] cur = b.roundToLevels(Budget.uniformDesired(sp, target));
            for (int k = 0; k < 30; k++) {
                int[] next = es.mutate(cur.clone(), rng);
                assertThat(b.accepts(next)).isTrue();
                assertThat(sum(next)).isEqualTo(sum(cur));
                int[] g = new int[sp.geneCount()];
                for (int i = 0; i < g.length; i++) g[i] = rng.nextInt(lv.count());
                b.repairMinimal(g, rng);
                assertThat(b.accepts(g)).as("%s %s %.3f", c, lv.name(), target).isTrue();
                cur = next;
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(1500);
    }
}
