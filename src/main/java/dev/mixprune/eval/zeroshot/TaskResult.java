package dev.mixprune.eval.zeroshot;

/**
 * Accuracy of one task.
 *
 * @param task        harness task name
 * @param n           documents scored
 * @param acc         fraction correct by summed log-likelihood
 * @param accStderr   standard error of acc as the harness reports it: sqrt(p(1-p)/(n-1))
 * @param accNorm     fraction correct by log-likelihood / character length, NaN when the harness has no acc_norm for the task
 * @param accNormStderr its standard error, NaN when absent
 * @param chance      expected acc of uniform random guessing: mean over documents of 1 / number of choices
 */
public record TaskResult(String task, int n, double acc, double accStderr, double accNorm, double accNormStderr, double chance) {
    public boolean hasAccNorm() { return !Double.isNaN(accNorm); }
}
