package dev.mixprune.prune;

import dev.mixprune.tensor.Matrix;

/**
 * Prunes one [out][in] weight matrix IN PLACE to a {@link Pattern}. {@code stats} are the
 * calibration statistics of the layer's input (null is allowed only for magnitude).
 */
public sealed interface LayerPruner permits MagnitudePruner, WandaPruner, SparseGptPruner, SparseGptReference {

    void prune(Matrix w, Pattern pattern, InputStats stats);

    /** The fast pruner of a method. */
    static LayerPruner of(PruneMethod method, SparseGptOptions options) {
        return switch (method) {
            case MAGNITUDE -> new MagnitudePruner();
            case WANDA -> new WandaPruner();
            case SPARSEGPT -> new SparseGptPruner(options);
        };
    }

    /** Zeroes the weights whose mask entry is set. */
    static void applyMask(Matrix w, boolean[] mask) {
        float[] d = w.data();
        for (int i = 0; i < d.length; i++) if (mask[i]) d[i] = 0f;
    }
}
