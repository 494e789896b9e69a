package dev.mixprune.allocate;

/**
 * One generation of the search trace: fitness of the best parent and mean over the final
 * stage's candidates (both on that generation's confirmation sample), and evaluations so far.
 */
public record TraceEntry(int generation, double bestFitness, double meanFitness, long evaluations) {}
