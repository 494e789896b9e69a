package dev.mixprune.eval;

/**
 * Perplexity under docs/protocols.md P.
 *
 * @param ppl          exp(meanNll)
 * @param meanNll      mean over windows of the window's mean next-token NLL, in nats
 * @param windows      number of full windows scored (the tail shorter than seqLen is dropped)
 * @param tokensScored windows * (seqLen - 1)
 * @param seqLen       window length
 */
public record PerplexityResult(double ppl, double meanNll, int windows, long tokensScored, int seqLen) {}
