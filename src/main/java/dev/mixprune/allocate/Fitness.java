package dev.mixprune.allocate;

/**
 * Lower is better. Evaluates a genome on a token sample drawn from a fixed pool of fitness
 * windows (calibration text that evaluation never sees). Must be deterministic.
 */
public interface Fitness {
    double evaluate(int[] genome, TokenSample sample);

    /** Windows in the pool samples are drawn from. */
    int windowCount();

    /** Tokens per pool window. */
    int windowLength();

    /** Identifies the fitness (kind, method, data) so that a checkpoint is not resumed under another. */
    String describe();
}
