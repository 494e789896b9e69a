package dev.mixprune.eval.zeroshot;

/** Token ids of one request: the context and the continuation tokens to score after it. */
public record EncodedRequest(int[] context, int[] continuation) {
    public EncodedRequest {
        if (context.length == 0) throw new IllegalArgumentException("empty context encoding (an empty context must be [EOS])");
    }
}
