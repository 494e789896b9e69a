package dev.mixprune.eval.zeroshot;

/**
 * One loglikelihood request as lm-evaluation-harness builds it: the text of the context and of
 * the continuation to score after it (the continuation normally starts with the target delimiter
 * " "). Encoding rules are in {@link RequestEncoder}.
 */
public record Request(String context, String continuation) {
    public Request {
        if (context == null || continuation == null) throw new IllegalArgumentException("null request text");
    }
}
