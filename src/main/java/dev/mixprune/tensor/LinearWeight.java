package dev.mixprune.tensor;

/**
 * The weight of one linear layer, [rows = out_features][cols = in_features], in whatever storage it
 * has: a dense {@link Matrix} or a packed N:M {@code dev.mixprune.sparse.PackedNM}. Products with
 * it are dispatched by {@code dev.mixprune.model.Linear}.
 */
public interface LinearWeight {
    int rows();

    int cols();

    /** Bytes this weight occupies in memory (values plus any index data). */
    long memoryBytes();

    default String shape() { return rows() + "x" + cols(); }
}
