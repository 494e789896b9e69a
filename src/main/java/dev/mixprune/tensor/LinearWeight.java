package dev.mixprune.tensor;

/**
 * The weight of one linear layer, [rows = out_features][cols = in_features], in whatever storage it
 * has: a dense {@link Matrix} here, or a compressed form defined by a package above this one (packed
 * N:M); the model's forward dispatches products with it to the matching kernels.
 */
public interface LinearWeight {
    int rows();

    int cols();

    /** Bytes this weight occupies in memory (values plus any index data). */
    long memoryBytes();

    default String shape() { return rows() + "x" + cols(); }
}
