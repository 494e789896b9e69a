package dev.mixprune.run;

import dev.mixprune.allocate.SearchListener;
import dev.mixprune.progress.ProgressFactory;

import java.util.Locale;

/**
 * Progress of an MSP search on stderr: the set-up (statistics, candidate ranks or the SparseGPT
 * level database, dense logits of the fitness windows) as one stage until generation 0 is
 * reported, then a bar over the generations with the best fitness, and one log line per
 * generation (below the bar on a terminal). Used by {@code search}, {@code run} and
 * {@code prune --allocation msp}. Close it when the search returns (also on failure).
 */
public final class SearchProgress implements SearchListener, AutoCloseable {
    private final ProgressFactory progress;
    private final String prefix;
    // Fully qualified: inside a SearchListener, "Progress" is SearchListener.Progress.
    private final dev.mixprune.progress.Progress setup;
    private dev.mixprune.progress.Progress generations;

    /** @param prefix put before each generation line ("search: " in run's log, "" in the search command) */
    public SearchProgress(ProgressFactory progress, String prefix) {
        this.progress = progress;
        this.prefix = prefix;
        this.setup = progress.start("search setup", 0, "steps");
    }

    @Override public synchronized void onGeneration(SearchListener.Progress p) {
        if (generations == null) {
            setup.close();
            generations = progress.start("search", p.generations() + 1L, "generations");
        }
        generations.step(1);
        generations.message(String.format(Locale.ROOT, "best %.4f", p.bestFitness()));
        progress.log(String.format(Locale.ROOT, "%sgen %3d/%d  best %.5f  mean %.5f  evals %,d  %.2f cand/s  sparsity %.4f",
                prefix, p.generation(), p.generations(), p.bestFitness(), p.meanFitness(), p.evaluations(), p.candidatesPerSecond(),
                p.achievedSparsity()));
    }

    /** A message of the search (budget, level database): printed without garbling a bar. */
    public void log(String line) { progress.log(prefix + line); }

    @Override public synchronized void close() {
        setup.close();
        if (generations != null) generations.close();
    }
}
