package dev.mixprune.allocate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Scores one selection stage's candidates on one token sample: where the search's work is done.
 * {@link #sequential} runs them one after another in this process; the cluster package spreads them
 * over the members of a cluster. Either way the result is the value of {@link Fitness#evaluate} for
 * each genome, in the order of {@code genomes}, whatever order or place they were computed in: the
 * search's decisions depend only on these values.
 */
public interface CandidateEvaluator extends AutoCloseable {

    /** fitness[i] of genomes[i] on {@code sample} (lower is better; not-finite values are allowed). */
    double[] evaluate(List<int[]> genomes, TokenSample sample);

    @Override default void close() {}

    /** One after another through {@code fitness}, in this thread. */
    static CandidateEvaluator sequential(Fitness fitness) {
        return (genomes, sample) -> {
            double[] out = new double[genomes.size()];
            for (int i = 0; i < out.length; i++) out[i] = fitness.evaluate(genomes.get(i), sample);
            return out;
        };
    }

    /**
     * Makes the evaluator of an MSP search once its fitness is built ({@link MspSearch#run}).
     * {@code scratch} is the search's work directory (deleted after the search), where a distributed
     * evaluator may write what remote members need ({@link KlFitness#snapshot}).
     */
    @FunctionalInterface
    interface Factory {
        CandidateEvaluator open(KlFitness fitness, Path scratch) throws IOException;

        /** Everything in this process (the default). */
        Factory LOCAL = (fitness, scratch) -> sequential(fitness);
    }
}
