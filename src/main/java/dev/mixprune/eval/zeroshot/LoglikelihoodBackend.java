package dev.mixprune.eval.zeroshot;

import dev.mixprune.progress.Progress;

import java.util.List;

/** Sums of continuation log-probabilities for encoded requests (docs/algorithms.md §8.1), in request order. */
public interface LoglikelihoodBackend {
    /** @param progress stepped once per request; may be null */
    double[] score(List<EncodedRequest> requests, Progress progress);
}
