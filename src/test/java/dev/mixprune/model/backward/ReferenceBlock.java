package dev.mixprune.model.backward;

import java.util.Arrays;

/**
 * Test helper: the double-precision reference forward ({@link TrainingForward}, checked against
 * finite differences in {@link GradientCheckTest}) used as the forward of ONE block on given input
 * rows. For a one-block model whose embedding rows are the inputs, feeding the tokens of a window's
 * rows gives that window's block output: the residual stream after the last (only) block. Lets
 * block-level losses (blockwise recovery's MSE) be checked by finite differences in double.
 */
public final class ReferenceBlock {
    private ReferenceBlock() {}

    /** The block output [T][dim] of the one-block model {@code p} on the embedding rows {@code rows} (T >= 2 of them). */
    public static double[] output(ParamSet p, int[] rows, Tape tape) {
        if (p.config().nLayers() != 1) throw new IllegalArgumentException("a one-block model is needed, got " + p.config().nLayers() + " blocks");
        TrainingForward.forward(p, rows, tape);
        return Arrays.copyOf(tape.xFinal, rows.length * p.config().dim());
    }
}
