package dev.mixprune.allocate;

import dev.mixprune.BadInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * EvoPress-style search (algorithms.md §6.2) over level genomes with the MSP choices of
 * design.md: a population of {@code parents} genomes, started from seeds (Fisher plans at several
 * strengths, uniform, OWL; or random ones); every generation makes {@code offspring} children by
 * tournament selection, uniform crossover + repair, and budget-keeping level moves + repair; the
 * children go through multi-step selection (many screened on few tokens, the best confirmed on
 * more, each stage on a fresh token sample); in the last stage the parents are re-scored on the
 * same sample (elitism) and the best {@code parents} of all survive. Deterministic for a seed; a
 * checkpoint after every generation lets {@code resume} reach exactly the uninterrupted result.
 */
public final class EvolutionarySearch {
    private final Budget budget;
    private final SearchSpace space;
    private final Fitness fitness;
    private final CandidateEvaluator evaluator;
    private final SearchConfig cfg;
    /**
     * Names the variation operators in the checkpoint fingerprint: a checkpoint of the earlier
     * operators (random swap + random repair) must not resume under these.
     */
    static final String VARIATION = "compound-move+minimal-repair";

    /** Candidates evaluated one after another through {@code fitness}. */
    public EvolutionarySearch(Budget budget, Fitness fitness, SearchConfig cfg) {
        this(budget, fitness, cfg, CandidateEvaluator.sequential(fitness));
    }

    /**
     * @param fitness   describes the fitness (checkpoint fingerprint) and its window pool (token samples)
     * @param evaluator computes {@code fitness}'s values, a whole selection stage at a time (e.g. on a cluster)
     */
    public EvolutionarySearch(Budget budget, Fitness fitness, SearchConfig cfg, CandidateEvaluator evaluator) {
        this.budget = budget;
        this.space = budget.space();
        this.fitness = fitness;
        this.evaluator = evaluator;
        this.cfg = cfg;
        if (fitness.windowCount() < 1) throw new IllegalArgumentException("fitness has no windows");
    }

    public record Result(int[] best, double bestFitness, List<int[]> parents, List<TraceEntry> trace, long evaluations,
                         int resumedFrom) {
        public Result {
            best = best.clone();
        }
    }

    /** Mutable search state between generations; exactly what a checkpoint stores. */
    private static final class State {
        Rng rng;
        List<int[]> parents = new ArrayList<>();
        double[] parentFitness = new double[0];
        List<TraceEntry> trace = new ArrayList<>();
        long evaluations;
        int completed = -1;
        double lastStageMean = Double.NaN;
    }

    private record Scored(int[] genome, double fitness) {}

    /** Runs without checkpoints. */
    public Result run(List<int[]> seeds, SearchListener listener) {
        try {
            return run(seeds, null, false, listener);
        } catch (IOException e) {
            throw new IllegalStateException(e); // no file is touched without a checkpoint path
        }
    }

    /**
     * @param checkpoint file written atomically after every generation (null: none)
     * @param resume     continue from {@code checkpoint} when it exists
     */
    public Result run(List<int[]> seeds, Path checkpoint, boolean resume, SearchListener listener) throws IOException {
        if (seeds.isEmpty()) throw new IllegalArgumentException("the search needs at least one seed genome");
        String fp = fingerprint(seeds);
        State st;
        int resumedFrom = -1;
        if (resume && checkpoint != null && Files.exists(checkpoint)) {
            st = restore(SearchCheckpoint.load(checkpoint), checkpoint, fp);
            resumedFrom = st.completed;
        } else {
            st = new State();
            st.rng = new Rng(cfg.seed());
        }
        long start = System.nanoTime();
        long evalsAtStart = st.evaluations;
        int gensAtStart = st.completed;
        if (st.completed < 0) {
            initialise(st, seeds);
            finishGeneration(st, 0, checkpoint, fp, listener, start, evalsAtStart, gensAtStart);
        }
        for (int gen = st.completed + 1; gen <= cfg.generations(); gen++) {
            List<int[]> children = offspring(st);
            List<Scored> kept = select(st, children, st.parents);
            st.parents = new ArrayList<>(kept.stream().map(Scored::genome).toList());
            st.parentFitness = kept.stream().mapToDouble(Scored::fitness).toArray();
            finishGeneration(st, gen, checkpoint, fp, listener, start, evalsAtStart, gensAtStart);
        }
        return new Result(st.parents.get(0), st.parentFitness[0], List.copyOf(st.parents), List.copyOf(st.trace), st.evaluations, resumedFrom);
    }

    private void initialise(State st, List<int[]> seeds) {
        List<int[]> pop = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int[] s : seeds) {
            int[] g = budget.repair(s.clone(), st.rng);
            if (seen.add(Arrays.toString(g))) pop.add(g);
        }
        // Too few distinct seeds: mutants of them, so that the first tournaments have a choice.
        for (int attempts = 0; pop.size() < cfg.parents() && attempts < 100 * cfg.parents(); attempts++) {
            int[] g = mutate(pop.get(st.rng.nextInt(pop.size())).clone(), st.rng);
            if (seen.add(Arrays.toString(g))) pop.add(g);
        }
        List<Scored> kept = select(st, pop, List.of());
        st.parents = new ArrayList<>(kept.stream().map(Scored::genome).toList());
        st.parentFitness = kept.stream().mapToDouble(Scored::fitness).toArray();
    }

    private List<int[]> offspring(State st) {
        List<int[]> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int[] p : st.parents) seen.add(Arrays.toString(p));
        int attempts = 0;
        while (out.size() < cfg.offspring() && attempts++ < 50 * cfg.offspring()) {
            int[] child = st.parents.get(tournament(st)).clone();
            if (st.parents.size() > 1 && st.rng.nextDouble() < cfg.crossoverRate()) {
                int[] other = st.parents.get(tournament(st));
                for (int g = 0; g < child.length; g++) if (st.rng.nextInt(2) == 1) child[g] = other[g];
                budget.repairMinimal(child, st.rng);   // the fewest compensating moves, not a random walk
            }
            mutate(child, st.rng);
            if (seen.add(Arrays.toString(child))) out.add(child);
        }
        return out;
    }

    /** Index of the winner of a tournament among the parents (kept sorted best first). */
    private int tournament(State st) {
        int best = st.rng.nextInt(st.parents.size());
        for (int i = 1; i < cfg.tournament(); i++) best = Math.min(best, st.rng.nextInt(st.parents.size()));
        return best;
    }

    /**
     * 1-3 compound moves (min(U{1..3}, U{1..3}), biased to 1, as EvoPress's flips), each a random
     * level move of any gene paid for by the fewest opposite moves of others ({@link Budget#compoundMove}):
     * the child stays inside the window without any random repair, and budget can move between
     * genes of different sizes. (Window-keeping swaps only, 60 % of them between same-size genes, did
     * not search better on stories260K Wanda 75 %; the earlier swap + random repair turned most mutations into random multi-gene
     * moves once the window was narrowed to 0.0005.) A genome outside the window (a seed) is first
     * repaired with the fewest moves.
     */
    int[] mutate(int[] child, Rng rng) {
        if (!budget.accepts(child)) budget.repairMinimal(child, rng);
        int flips = Math.min(rng.nextInt(cfg.maxFlips()) + 1, rng.nextInt(cfg.maxFlips()) + 1);
        for (int f = 0; f < flips; f++) {
            if (budget.compoundMove(child, rng) == 0) break;
        }
        return child;
    }

    /**
     * Multi-step selection: each stage scores the remaining candidates on a fresh sample and keeps
     * the best; the parents join the last stage (elitism), which keeps {@code parents} genomes.
     * Stable sort: equal fitness keeps the earlier candidate (parents come after the children).
     */
    private List<Scored> select(State st, List<int[]> candidates, List<int[]> parents) {
        List<int[]> cur = new ArrayList<>(candidates);
        int stages = cfg.stageTokens().length;
        List<Scored> scored = List.of();
        for (int s = 0; s < stages; s++) {
            boolean last = s == stages - 1;
            if (last) cur.addAll(parents);
            TokenSample sample = TokenSample.draw(fitness.windowCount(), fitness.windowLength(), cfg.stageTokens()[s], st.rng);
            double[] values = evaluator.evaluate(cur, sample);
            if (values.length != cur.size()) throw new IllegalStateException(values.length + " fitness values for " + cur.size() + " candidates");
            st.evaluations += cur.size();
            List<Scored> out = new ArrayList<>(cur.size());
            // A broken candidate ranks last, and JSON stays numeric.
            for (int i = 0; i < cur.size(); i++) out.add(new Scored(cur.get(i), Double.isFinite(values[i]) ? values[i] : Double.MAX_VALUE));
            out.sort((x, y) -> Double.compare(x.fitness(), y.fitness()));
            int keep = last ? cfg.parents() : cfg.stageSurvivors()[s];
            if (last) st.lastStageMean = out.stream().mapToDouble(Scored::fitness).average().orElse(Double.NaN);
            scored = out.subList(0, Math.min(keep, out.size()));
            cur = new ArrayList<>(scored.stream().map(Scored::genome).toList());
        }
        return new ArrayList<>(scored);
    }

    private void finishGeneration(State st, int gen, Path checkpoint, String fp, SearchListener listener,
                                  long start, long evalsAtStart, int gensAtStart) throws IOException {
        st.trace.add(new TraceEntry(gen, st.parentFitness[0], st.lastStageMean, st.evaluations));
        st.completed = gen;
        if (checkpoint != null) {
            new SearchCheckpoint(fp, gen, st.rng.state(), st.evaluations, st.parents, st.parentFitness, st.trace).save(checkpoint);
        }
        double secs = (System.nanoTime() - start) / 1e9;
        int doneHere = gen - gensAtStart;
        double perGen = doneHere > 0 ? secs / doneHere : 0;
        listener.onGeneration(new SearchListener.Progress(gen, cfg.generations(), st.parentFitness[0], st.lastStageMean,
                st.evaluations, secs > 0 ? (st.evaluations - evalsAtStart) / secs : 0, perGen * (cfg.generations() - gen),
                budget.achieved(st.parents.get(0))));
    }

    private State restore(SearchCheckpoint cp, Path file, String fp) {
        if (!cp.fingerprint().equals(fp)) {
            throw BadInputException.in(file, "checkpoint belongs to another search (fingerprint " + cp.fingerprint()
                    + ", this search is " + fp + "); delete it or run without --resume");
        }
        if (cp.parents().size() != cp.parentFitness().length) throw BadInputException.in(file, "parents and fitness differ in number");
        for (int i = 0; i < cp.parents().size(); i++) {
            int[] g = cp.parents().get(i);
            try {
                space.check(g);
            } catch (IllegalArgumentException e) {
                throw BadInputException.in(file, "field 'parents[" + i + "].genes': " + e.getMessage());
            }
            if (!budget.accepts(g)) throw BadInputException.in(file, "field 'parents[" + i + "].genes' does not meet the budget " + budget);
        }
        State st = new State();
        st.rng = Rng.fromState(cp.rngState());
        st.parents = new ArrayList<>(cp.parents());
        st.parentFitness = cp.parentFitness();
        st.trace = new ArrayList<>(cp.trace());
        st.evaluations = cp.evaluations();
        st.completed = cp.completedGeneration();
        st.lastStageMean = st.trace.get(st.trace.size() - 1).meanFitness();
        return st;
    }

    /** Ties a checkpoint to the space, budget, fitness, settings and seeds (not the generation count). */
    private String fingerprint(List<int[]> seeds) {
        CRC32 crc = new CRC32();
        String text = space.describe() + ";budget=" + budget.minPruned() + ".." + budget.maxPruned() + ";fitness=" + fitness.describe()
                + ";search=" + cfg.describe() + ";variation=" + VARIATION + ";seeds=" + seeds.stream().map(Arrays::toString).toList();
        crc.update(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue()) + ":" + space.describe() + ";seed=" + cfg.seed();
    }
}
