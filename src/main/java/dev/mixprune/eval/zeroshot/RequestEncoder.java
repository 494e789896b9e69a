package dev.mixprune.eval.zeroshot;

import dev.mixprune.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * The harness's encoding of a (context, continuation) pair for causal LMs (docs/algorithms.md §8.1):
 * trailing whitespace of the context moves to the front of the continuation; whole =
 * tok(context + continuation) and ctx = tok(context), both without BOS/EOS; the continuation
 * tokens are whole[len(ctx):]; an empty context becomes the tokenizer's [EOS] (lm-eval's prefix
 * token; BOS when there is no EOS) and the continuation is tokenized alone. The last context's encoding is kept because the choices of a document share their
 * context (not thread-safe; use one encoder per thread).
 */
public final class RequestEncoder {
    private final Tokenizer tokenizer;
    private String lastContext;
    private int[] lastContextIds;

    public RequestEncoder(Tokenizer tokenizer) { this.tokenizer = tokenizer; }

    public EncodedRequest encode(Request r) {
        String context = r.context(), continuation = r.continuation();
        String trimmed = PyText.rstrip(context);
        if (trimmed.length() < context.length()) {
            continuation = context.substring(trimmed.length()) + continuation;
            context = trimmed;
        }
        if (context.isEmpty()) return new EncodedRequest(new int[]{emptyContextToken()}, tok(continuation));
        int[] whole = tok(context + continuation);
        if (!context.equals(lastContext)) {
            lastContextIds = tok(context);
            lastContext = context;
        }
        int[] ctx = lastContextIds;
        // The tokens of whole beyond len(ctx), even if a merge crossed the boundary (the harness does the same).
        int[] cont = Arrays.copyOfRange(whole, Math.min(ctx.length, whole.length), whole.length);
        return new EncodedRequest(ctx, cont);
    }

    private int[] tok(String s) { return tokenizer.encode(s); }

    private int emptyContextToken() {
        var s = tokenizer.specialTokens();
        if (s.hasEos()) return s.eos();
        if (s.hasBos()) return s.bos();
        throw new IllegalStateException("an empty context needs the tokenizer's EOS or BOS; this tokenizer declares neither");
    }
}
