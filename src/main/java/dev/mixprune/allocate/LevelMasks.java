package dev.mixprune.allocate;

import dev.mixprune.model.LayerId;
import dev.mixprune.tensor.Matrix;

/**
 * How a search candidate's layer gets the weights of its level, with no per-weight state kept:
 * {@link ScoredLevels} (magnitude, Wanda) derives the mask on the fly from the weights and small
 * precomputed statistics, {@link LevelDatabase} (SparseGPT, whose kept weights change) reads the
 * level's pruned matrix back from disk. Candidates are evaluated block by block, each layer a
 * private float32 copy of the dense weights that {@link #apply} turns into its level in place.
 */
public sealed interface LevelMasks extends AutoCloseable permits ScoredLevels, LevelDatabase {

    SearchSpace space();

    /** Turns {@code w}, a private copy of the dense weights of {@code id}, into the weights of {@code level}. */
    void apply(LayerId id, int level, Matrix w);

    /** Short name for the fitness description (checkpoint fingerprint). */
    String describe();

    /** Scratch bytes on disk. */
    long diskBytes();

    @Override void close();
}
