package dev.mixprune.allocate;

/** Receives progress after the initial population (generation 0) and after every generation. */
@FunctionalInterface
public interface SearchListener {
    void onGeneration(Progress p);

    SearchListener NONE = p -> { };

    /**
     * @param candidatesPerSecond fitness evaluations per second of this run (a resumed run counts from its start)
     * @param etaSeconds          estimated seconds to the last generation
     */
    record Progress(int generation, int generations, double bestFitness, double meanFitness, long evaluations,
                    double candidatesPerSecond, double etaSeconds, double achievedSparsity) {}
}
