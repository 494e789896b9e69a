package dev.mixprune.model.backward;

import dev.mixprune.model.LlamaConfig;

/**
 * The distillation loss in double precision, the reference for the float32 {@code grad.KlHead}:
 * for one sequence, the mean over positions 0..T-2 of KL(teacher ‖ student) between the two models'
 * next-token distributions, and its exact gradient with respect to every student parameter
 * (dKL/dlogit_s = p_s − p_t per position, then {@link Backward}'s shared backward). Checked against
 * finite differences of an independent forward.
 */
public final class Distillation {
    private Distillation() {}

    /** The loss (nats per position) and dL/dθ of every student parameter. */
    public record Result(double loss, ParamSet gradient) {}

    /** KL(teacher ‖ student) of one sequence; teacher and student must have the same config. */
    public static Result of(ParamSet student, ParamSet teacher, int[] tokens) {
        LlamaConfig c = student.config();
        if (!teacher.config().equals(c)) throw new IllegalArgumentException("teacher and student configs differ");
        int T = tokens.length, P = T - 1, V = c.vocabSize();
        Tape tape = new Tape(c, T);
        TrainingForward.forward(teacher, tokens, tape);
        double[] pt = java.util.Arrays.copyOf(tape.probs, P * V);
        TrainingForward.forward(student, tokens, tape);
        double kl = 0, inv = 1.0 / P;
        for (int i = 0; i < P * V; i++) {
            double ps = tape.probs[i];
            if (pt[i] > 0) kl += pt[i] * (Math.log(pt[i]) - Math.log(ps));
            tape.dLogits[i] = (ps - pt[i]) * inv;
        }
        ParamSet g = ParamSet.zeros(c);
        Backward.backwardFromLogits(student, tokens, tape, g);
        return new Result(kl * inv, g);
    }
}
