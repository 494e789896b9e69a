package dev.mixprune.model.backward;

import dev.mixprune.model.LlamaWeights;

/**
 * Convenience entry point: loss and full parameter gradient of one sequence. For many sequences,
 * keep a {@link Tape} and a gradient {@link ParamSet} per thread and call
 * {@link TrainingForward#forward} / {@link Backward#backward} directly.
 */
public final class Gradients {
    private Gradients() {}

    /** Loss (mean next-token NLL, nats) and dL/dθ for every parameter. */
    public record Result(double loss, ParamSet gradient) {}

    public static Result of(LlamaWeights w, int[] tokens) {
        return of(ParamSet.of(w), tokens);
    }

    public static Result of(ParamSet p, int[] tokens) {
        Tape tape = new Tape(p.config(), tokens.length);
        double loss = TrainingForward.forward(p, tokens, tape);
        ParamSet g = ParamSet.zeros(p.config());
        Backward.backward(p, tokens, tape, g);
        return new Result(loss, g);
    }
}
