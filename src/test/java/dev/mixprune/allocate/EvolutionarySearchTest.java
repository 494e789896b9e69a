package dev.mixprune.allocate;

import dev.mixprune.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.mixprune.allocate.BudgetTest.STORIES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EvolutionarySearchTest {

    /**
     * Separable convex cost whose optimum is known: sum_g c_g * w_g * exp(6 * s_g), with per-gene
     * sensitivities c. Plus a small noise that depends on the genome and the token sample, so
     * screening on few tokens can mis-rank close candidates, as real fitness does.
     */
    static final class Synthetic implements Fitness {
        final SearchSpace space;
        final double[] c;
        final double noise;
        int calls;

        Synthetic(SearchSpace space, long seed, double noise) {
            this.space = space;
            this.noise = noise;
            Rng r = new Rng(seed);
            c = new double[space.geneCount()];
            for (int g = 0; g < c.length; g++) c[g] = Math.exp(3 * r.nextDouble());
        }

        double exact(int[] genome) {
            double f = 0;
            for (int g = 0; g < genome.length; g++) {
                double s = (double) space.prunedCount(g, genome[g]) / space.weightsOf(g);
                f += c[g] * space.weightsOf(g) * Math.exp(6 * s);
            }
            return f / space.total();
        }

        @Override public double evaluate(int[] genome, TokenSample sample) {
            calls++;
            long h = Arrays.hashCode(genome) * 31L + Arrays.hashCode(sample.windows()) + sample.tokens();
            double u = (new Rng(h).nextDouble() - 0.5) * noise / Math.sqrt(sample.tokens());
            return exact(genome) * (1 + u);
        }

        @Override public int windowCount() { return 32; }
        @Override public int windowLength() { return 64; }
        @Override public String describe() { return "synthetic"; }

        /** Greedy by marginal cost per pruned weight: optimal for equal steps, a close reference otherwise. */
        int[] greedy(Budget b) {
            int[] g = new int[space.geneCount()];
            while (space.prunedCount(g) < b.minPruned()) {
                int best = -1;
                double bestCost = Double.MAX_VALUE;
                for (int i = 0; i < g.length; i++) {
                    if (g[i] == space.maxLevel()) continue;
                    long d = space.prunedCount(i, g[i] + 1) - space.prunedCount(i, g[i]);
                    int[] t = g.clone();
                    t[i]++;
                    double cost = (exact(t) - exact(g)) / Math.max(d, 1);
                    if (cost < bestCost) { bestCost = cost; best = i; }
                }
                g[best]++;
            }
            return b.repair(g, new Rng(0));
        }
    }

    static SearchConfig small(int generations, long seed) {
        return new SearchConfig(generations, 16, 4, new int[]{128, 512, 1024}, new int[]{6, 2}, 0.5, 2, 3, seed);
    }

    static List<int[]> seeds(Budget b) {
        SearchSpace sp = b.space();
        List<int[]> s = new ArrayList<>();
        s.add(b.roundToLevels(Budget.uniformDesired(sp, b.target())));
        // "Fisher" seeds at a spread of strengths from noisy sensitivities pointing partly the wrong way.
        double[] z = new double[sp.geneCount()];
        Rng r = new Rng(99);
        for (int g = 0; g < z.length; g++) z[g] = r.nextDouble() * 2 - 1;
        for (double a : new double[]{0.02, 0.05, 0.1}) s.add(FisherAllocator.genome(b, z, a));
        return s;
    }

    @Test
    void beatsItsInitialPopulationAndNearlyReachesTheOptimum() {
        SearchSpace sp = new SearchSpace(STORIES, Levels.unstructured(0.025), Granularity.LAYER);
        Budget b = Budget.of(sp, 0.75);
        Synthetic f = new Synthetic(sp, 7, 0.2);
        List<int[]> seeds = seeds(b);
        double bestSeed = seeds.stream().mapToDouble(f::exact).min().orElseThrow();
        EvolutionarySearch.Result r = new EvolutionarySearch(b, f, small(150, 1)).run(seeds, SearchListener.NONE);
        double found = f.exact(r.best());
        double optimum = f.exact(f.greedy(b));
        assertThat(b.accepts(r.best())).isTrue();
        assertThat(found).isLessThan(bestSeed * 0.8);
        assertThat(found).isLessThan(optimum * 1.03);
        // the trace is per generation and the confirmed best improves overall
        assertThat(r.trace()).hasSize(151);
        assertThat(r.trace().get(150).bestFitness()).isLessThan(r.trace().get(0).bestFitness());
        assertThat(r.evaluations()).isEqualTo(f.calls);
    }

    @Test
    void randomInitialisationAlsoWorksButStartsWorse() {
        SearchSpace sp = new SearchSpace(STORIES, Levels.unstructured(0.025), Granularity.BLOCK);
        Budget b = Budget.of(sp, 0.75);
        Synthetic f = new Synthetic(sp, 3, 0);
        List<int[]> random = InitialPopulation.random(b, 6, 5);
        for (int[] g : random) assertThat(b.accepts(g)).isTrue();
        EvolutionarySearch.Result r = new EvolutionarySearch(b, f, small(60, 2)).run(random, SearchListener.NONE);
        assertThat(f.exact(r.best())).isLessThan(random.stream().mapToDouble(f::exact).min().orElseThrow());
        assertThat(f.exact(r.best())).isLessThan(f.exact(f.greedy(b)) * 1.01);
    }

    @Test
    void sameSeedSameResultOtherSeedOtherPath() {
        SearchSpace sp = new SearchSpace(STORIES, Levels.nm(8), Granularity.LAYER);
        Budget b = Budget.of(sp, Budget.nmTargetMatchingUniform(sp, 0.75));
        List<int[]> seeds = seeds(b);
        EvolutionarySearch.Result a = new EvolutionarySearch(b, new Synthetic(sp, 5, 0.5), small(15, 11)).run(seeds, SearchListener.NONE);
        EvolutionarySearch.Result a2 = new EvolutionarySearch(b, new Synthetic(sp, 5, 0.5), small(15, 11)).run(seeds, SearchListener.NONE);
        EvolutionarySearch.Result c = new EvolutionarySearch(b, new Synthetic(sp, 5, 0.5), small(15, 12)).run(seeds, SearchListener.NONE);
        assertThat(a2.best()).containsExactly(a.best());
        assertThat(a2.trace()).isEqualTo(a.trace());
        assertThat(c.trace()).isNotEqualTo(a.trace());
        assertThat(sp.toPlan(a.best(), "msp").expectedSparsity(STORIES)).isGreaterThanOrEqualTo(b.target());
    }

    @Test
    void resumeGivesExactlyTheUninterruptedResult(@TempDir Path dir) throws Exception {
        SearchSpace sp = new SearchSpace(STORIES, Levels.unstructured(0.025), Granularity.LAYER);
        Budget b = Budget.of(sp, 0.7);
        List<int[]> seeds = seeds(b);
        Path full = dir.resolve("full.json"), cut = dir.resolve("cut.json");
        EvolutionarySearch.Result whole = new EvolutionarySearch(b, new Synthetic(sp, 5, 0.5), small(12, 21)).run(seeds, full, false, SearchListener.NONE);

        class Crash extends RuntimeException {}
        assertThatThrownBy(() -> new EvolutionarySearch(b, new Synthetic(sp, 5, 0.5), small(12, 21)).run(seeds, cut, false, p -> {
            if (p.generation() == 5) throw new Crash();
        })).isInstanceOf(Crash.class);
        assertThat(SearchCheckpoint.load(cut).completedGeneration()).isEqualTo(5);

        List<Integer> seen = new ArrayList<>();
        EvolutionarySearch.Result resumed = new EvolutionarySearch(b, new Synthetic(sp, 5, 0.5), small(12, 21))
                .run(seeds, cut, true, p -> seen.add(p.generation()));
        assertThat(resumed.resumedFrom()).isEqualTo(5);
        assertThat(seen).containsExactly(6, 7, 8, 9, 10, 11, 12);
        assertThat(resumed.best()).containsExactly(whole.best());
        assertThat(resumed.trace()).isEqualTo(whole.trace());
        assertThat(resumed.evaluations()).isEqualTo(whole.evaluations());
        assertThat(Files.readString(cut)).isEqualTo(Files.readString(full));

        // A finished run can be extended: resume with more generations equals a longer run.
        EvolutionarySearch.Result longer = new EvolutionarySearch(b, new Synthetic(sp, 5, 0.5), small(15, 21)).run(seeds, full, true, SearchListener.NONE);
        EvolutionarySearch.Result direct = new EvolutionarySearch(b, new Synthetic(sp, 5, 0.5), small(15, 21)).run(seeds, SearchListener.NONE);
        assertThat(longer.trace()).isEqualTo(direct.trace());
    }

    @Test
    void corruptedOrForeignCheckpointIsAClearError(@TempDir Path dir) throws Exception {
        SearchSpace sp = new SearchSpace(STORIES, Levels.unstructured(0.025), Granularity.BLOCK);
        Budget b = Budget.of(sp, 0.7);
        List<int[]> seeds = seeds(b);
        Path cp = dir.resolve("cp.json");
        new EvolutionarySearch(b, new Synthetic(sp, 5, 0), small(2, 1)).run(seeds, cp, false, SearchListener.NONE);
        String good = Files.readString(cp);

        Files.writeString(cp, good.substring(0, good.length() / 2));
        assertThatThrownBy(() -> new EvolutionarySearch(b, new Synthetic(sp, 5, 0), small(4, 1)).run(seeds, cp, true, SearchListener.NONE))
                .isInstanceOf(BadInputException.class).hasMessageContaining(cp.toString()).hasMessageContaining("corrupted");

        Files.writeString(cp, good.replaceFirst("\"rng_state\" : \"[0-9a-f]+\"", "\"rng_state\" : \"xyz\""));
        assertThatThrownBy(() -> new EvolutionarySearch(b, new Synthetic(sp, 5, 0), small(4, 1)).run(seeds, cp, true, SearchListener.NONE))
                .isInstanceOf(BadInputException.class).hasMessageContaining("rng_state");

        Files.writeString(cp, good.replaceFirst("\"genes\" : \\[ \\d+", "\"genes\" : [ 99"));
        assertThatThrownBy(() -> new EvolutionarySearch(b, new Synthetic(sp, 5, 0), small(4, 1)).run(seeds, cp, true, SearchListener.NONE))
                .isInstanceOf(BadInputException.class).hasMessageContaining("parents[0].genes");

        Files.writeString(cp, good);
        assertThatThrownBy(() -> new EvolutionarySearch(b, new Synthetic(sp, 5, 0), small(4, 2)).run(seeds, cp, true, SearchListener.NONE))
                .isInstanceOf(BadInputException.class).hasMessageContaining("another search");
    }

    @Test
    void tokenSamplesDrawDistinctWindowsAndTruncateTheLast() {
        Rng r = new Rng(4);
        TokenSample s = TokenSample.draw(10, 64, 200, r);
        assertThat(s.tokens()).isEqualTo(200);
        assertThat(s.lengths()).containsExactly(64, 64, 64, 8);
        assertThat(Arrays.stream(s.windows()).distinct().count()).isEqualTo(4);
        assertThat(TokenSample.draw(3, 64, 10_000, r).tokens()).isEqualTo(192); // capped by the pool
    }

    @Test
    void rngStateRestoresTheStream() {
        Rng a = new Rng(42);
        for (int i = 0; i < 5; i++) a.nextLong();
        Rng b = Rng.fromState(a.state());
        for (int i = 0; i < 100; i++) assertThat(b.nextInt(37)).isEqualTo(a.nextInt(37));
        int[] hist = new int[5];
        Rng c = new Rng(1);
        for (int i = 0; i < 50_000; i++) hist[c.nextInt(5)]++;
        for (int h : hist) assertThat(h).isBetween(9_500, 10_500);
    }
}
