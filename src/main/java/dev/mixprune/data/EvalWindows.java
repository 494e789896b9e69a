package dev.mixprune.data;

import dev.mixprune.BadInputException;

/**
 * Perplexity windows per docs/protocols.md P: the stream cut into non-overlapping windows of
 * {@code seqlen} tokens from the start, the tail that does not fill a window dropped. Each window
 * is scored alone on its seqlen - 1 next-token predictions.
 */
public record EvalWindows(TokenStream stream, int seqlen, int count) {
    public EvalWindows {
        if (seqlen < 2) throw new BadInputException("seqlen: " + seqlen + ", expected at least 2 (one prediction per window)");
        if (count != stream.length() / seqlen) throw new IllegalArgumentException(count + " windows but the stream holds " + stream.length() / seqlen);
    }

    /** @throws BadInputException if seqlen < 2 or the text does not fill one window */
    public static EvalWindows of(TokenStream stream, int seqlen) {
        if (seqlen < 2) throw new BadInputException("seqlen: " + seqlen + ", expected at least 2 (one prediction per window)");
        int count = stream.length() / seqlen;
        if (count == 0) {
            throw new BadInputException("evaluation text: " + stream.length() + " tokens, expected at least one window of seqlen = " + seqlen);
        }
        return new EvalWindows(stream, seqlen, count);
    }

    /** Tokens of window {@code i}: stream[i * seqlen, (i + 1) * seqlen). */
    public int[] window(int i) {
        if (i < 0 || i >= count) throw new IndexOutOfBoundsException("window " + i + " of " + count);
        return stream.slice(i * seqlen, seqlen);
    }

    /** Start offset of window {@code i} in the stream. */
    public long offset(int i) { return (long) i * seqlen; }

    /** Tokens covered by the windows (count * seqlen). */
    public long tokensUsed() { return (long) count * seqlen; }

    /** Next-token predictions scored: count * (seqlen - 1), the "tokens" figure printed beside the perplexity. */
    public long tokensScored() { return (long) count * (seqlen - 1); }

    /** Tokens of the dropped tail. */
    public int tailDropped() { return stream.length() - count * seqlen; }
}
