package dev.mixprune.model;

import dev.mixprune.tensor.Matrix;

/**
 * Receives the inputs of a block's linear layers during a forward pass (one call per distinct
 * input, see {@link InputGroup}); {@code input} is [tokens x in_features] for all sequences of
 * the batch. The matrix may be reused by the caller after the call returns: copy what you keep.
 */
@FunctionalInterface
public interface ActivationCapture {
    void capture(int block, InputGroup group, Matrix input);

    ActivationCapture NONE = (b, g, m) -> { };
}
