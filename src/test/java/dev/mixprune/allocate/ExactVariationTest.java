package dev.mixprune.allocate;

import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.PruneMethod;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.mixprune.allocate.BudgetTest.STORIES;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The search's budget-exact variation (issue 15): mutations are compound moves (one random level
 * move paid for by the fewest opposite moves) that stay inside the budget's window by themselves,
 * crossover children are repaired with the fewest moves.
 */
class ExactVariationTest {

    static int movesBetween(int[] a, int[] b) {
        int d = 0;
        for (int i = 0; i < a.length; i++) d += Math.abs(a[i] - b[i]);
        return d;
    }

    @Test
    void mutationStaysInsideTheWindowWithCompoundMovesForEveryMethodAndTarget() {
        SearchConfig cfg = SearchConfig.defaults(3);
        for (PruneMethod m : PruneMethod.values()) {
            for (double target : new double[]{0.5, 0.7, 0.75, 0.8}) {
                SearchSpace sp = new SearchSpace(STORIES, Levels.unstructured(0.025), Granularity.LAYER, m);
                Budget b = Budget.of(sp, target);
                EvolutionarySearch es = new EvolutionarySearch(b, new EvolutionarySearchTest.Synthetic(sp, 1, 0), cfg);
                Rng rng = new Rng(11);
                int changed = 0, acrossSizes = 0;
                int[] cur = b.roundToLevels(Budget.uniformDesired(sp, target));
                for (int t = 0; t < 400; t++) {
                    int[] child = es.mutate(cur.clone(), rng);
                    assertThat(b.accepts(child)).as("%s %.2f step %d", m, target, t).isTrue();
                    // At most maxFlips compound moves of at most 3 level moves each (no random repair).
                    assertThat(movesBetween(child, cur)).isLessThanOrEqualTo(3 * cfg.maxFlips());
                    if (movesBetween(child, cur) > 0) changed++;
                    if (movesAcrossSizes(sp, cur, child)) acrossSizes++;
                    cur = child;
                }
                assertThat(changed).isGreaterThan(380);
                // Budget moves between genes of different sizes (attention <-> MLP).
                assertThat(acrossSizes).as("%s %.2f", m, target).isGreaterThan(100);
            }
        }
    }

    /** A gene of one size gained levels while a gene of another size lost some. */
    static boolean movesAcrossSizes(SearchSpace sp, int[] from, int[] to) {
        for (int a = 0; a < from.length; a++) {
            if (to[a] <= from[a]) continue;
            for (int b = 0; b < from.length; b++) if (to[b] < from[b] && sp.weightsOf(a) != sp.weightsOf(b)) return true;
        }
        return false;
    }

    @Test
    void compoundMoveIsOneMovePaidByTheFewestOppositeMoves() {
        SearchSpace sp = new SearchSpace(STORIES, Levels.unstructured(0.025), Granularity.LAYER, PruneMethod.WANDA);
        Budget b = Budget.of(sp, 0.75);
        int[] g = b.roundToLevels(Budget.uniformDesired(sp, 0.75));
        Rng rng = new Rng(5);
        int[] counts = new int[4];
        for (int i = 0; i < 2000; i++) {
            int[] t = g.clone();
            int moves = b.compoundMove(t, rng);
            assertThat(moves).isBetween(1, 3);
            assertThat(b.accepts(t)).isTrue();
            assertThat(movesBetween(t, g)).isEqualTo(moves);
            counts[moves]++;
            // Two opposite moves only when no single one pays (checked by brute force).
            if (moves == 3) assertThat(singlePayExists(b, g, t)).isFalse();
            g = t;
        }
        assertThat(counts[2]).isGreaterThan(500);
    }

    /** Whether the first move of a 3-move compound could have been paid by one opposite move. */
    private static boolean singlePayExists(Budget b, int[] before, int[] after) {
        // the first move is the gene whose direction is unique among the changed genes
        int up = 0, down = 0;
        for (int i = 0; i < before.length; i++) { if (after[i] > before[i]) up += after[i] - before[i]; if (after[i] < before[i]) down += before[i] - after[i]; }
        int dir = up == 1 ? +1 : -1;
        int first = -1;
        for (int i = 0; i < before.length; i++) if ((after[i] - before[i]) * dir > 0) first = i;
        int[] t = before.clone();
        t[first] += dir;
        for (int i = 0; i < t.length; i++) {
            if (i == first) continue;
            int l = t[i] - dir;
            if (l < 0 || l > b.space().maxLevel()) continue;
            int[] u = t.clone();
            u[i] = l;
            if (b.accepts(u)) return true;
        }
        return false;
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
