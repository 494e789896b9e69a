package dev.mixprune.allocate;

import java.util.Arrays;

/**
 * Hyper-parameters of the evolutionary search.
 *
 * @param generations    generations after the initial population
 * @param offspring      children created per generation (screened on the fewest tokens)
 * @param parents        population kept between generations (mu); elitism re-scores them each generation
 * @param stageTokens    tokens per selection stage, increasing (EvoPress multi-step selection)
 * @param stageSurvivors survivors of every stage but the last (the last keeps {@code parents})
 * @param crossoverRate  probability that a child mixes two parents (uniform crossover) before mutation
 * @param tournament     tournament size for choosing parents
 * @param maxFlips       level moves per mutation: min(U{1..maxFlips}, U{1..maxFlips}), biased to 1
 * @param seed           seed of everything random in the search
 */
public record SearchConfig(int generations, int offspring, int parents, int[] stageTokens, int[] stageSurvivors,
                           double crossoverRate, int tournament, int maxFlips, long seed) {

    public SearchConfig {
        stageTokens = stageTokens.clone();
        stageSurvivors = stageSurvivors.clone();
        if (generations < 0) throw new IllegalArgumentException("--generations must be >= 0, got " + generations);
        if (offspring < 1) throw new IllegalArgumentException("--population (offspring per generation) must be >= 1, got " + offspring);
        if (parents < 1) throw new IllegalArgumentException("parents must be >= 1, got " + parents);
        if (stageTokens.length < 1) throw new IllegalArgumentException("need at least one selection stage");
        if (stageSurvivors.length != stageTokens.length - 1) {
            throw new IllegalArgumentException("need " + (stageTokens.length - 1) + " stage survivor counts for " + stageTokens.length + " stages, got " + stageSurvivors.length);
        }
        for (int t : stageTokens) if (t < 2) throw new IllegalArgumentException("stage tokens must be >= 2, got " + t);
        for (int s : stageSurvivors) if (s < 1) throw new IllegalArgumentException("stage survivors must be >= 1, got " + s);
        if (!(crossoverRate >= 0 && crossoverRate <= 1)) throw new IllegalArgumentException("crossover rate must be in [0, 1]");
        if (tournament < 1) throw new IllegalArgumentException("tournament size must be >= 1");
        if (maxFlips < 1) throw new IllegalArgumentException("maxFlips must be >= 1");
    }

    /**
     * Defaults for stories260K-sized models (512-token windows), scaled down from EvoPress's
     * [2048, 16384, 65536] tokens with 8/2/1 survivors so that a search fits in minutes on 2 cores.
     */
    public static SearchConfig defaults(long seed) {
        return new SearchConfig(30, 24, 2, new int[]{256, 1024, 4096}, new int[]{6, 2}, 0.5, 2, 3, seed);
    }

    public SearchConfig withGenerations(int g) {
        return new SearchConfig(g, offspring, parents, stageTokens, stageSurvivors, crossoverRate, tournament, maxFlips, seed);
    }

    public int finalTokens() { return stageTokens[stageTokens.length - 1]; }

    /** Largest token count of any stage, capped by what a pool of {@code windows} x {@code len} can give. */
    public int maxStageTokens(int windows, int len) {
        int m = 0;
        for (int t : stageTokens) m = Math.max(m, t);
        return (int) Math.min(m, (long) windows * len);
    }

    /** Evaluations and fitness tokens of a whole search (before duplicate children are skipped), for time estimates. */
    public record Workload(long evaluations, long tokens) {}

    /**
     * @param seeds   distinct initial genomes (generation 0 screens them all)
     * @param poolTokens tokens the fitness pool holds (a stage cannot use more)
     */
    public Workload workload(int seeds, long poolTokens) {
        long evals = 0, tokens = 0;
        for (int gen = 0; gen <= generations; gen++) {
            long cands = gen == 0 ? Math.max(seeds, 1) : offspring;
            for (int s = 0; s < stageTokens.length; s++) {
                boolean last = s == stageTokens.length - 1;
                long n = cands + (last && gen > 0 ? parents : 0);
                evals += n;
                tokens += n * Math.min(stageTokens[s], poolTokens);
                if (!last) cands = Math.min(cands, stageSurvivors[s]);
            }
        }
        return new Workload(evals, tokens);
    }

    /** Everything that changes the result, for checkpoint compatibility (generations excluded: a resumed run may extend). */
    public String describe() {
        return "offspring=" + offspring + ",parents=" + parents + ",tokens=" + Arrays.toString(stageTokens) + ",survivors="
                + Arrays.toString(stageSurvivors) + ",crossover=" + crossoverRate + ",tournament=" + tournament + ",flips=" + maxFlips + ",seed=" + seed;
    }

    @Override public boolean equals(Object o) {
        return o instanceof SearchConfig c && c.generations == generations && c.describe().equals(describe());
    }

    @Override public int hashCode() { return describe().hashCode() * 31 + generations; }

    @Override public String toString() { return "SearchConfig[generations=" + generations + "," + describe() + "]"; }
}
