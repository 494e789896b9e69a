package dev.mixprune.model;

import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Matrix;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Full-model batched forward. OWNER: forward work. Contract:
 * logits(w, tokens) gives [tokens.length x vocab] next-token logits at every position of one
 * causal sequence starting at position 0; logitsBatch does many sequences (any lengths) at once.
 * Windows of one call to {@link #embed}/{@link #hidden}/{@link #logits(LlamaWeights, int[][])} must
 * share one length; each is an independent sequence starting at RoPE position 0.
 */
public final class LlamaForward {
    private LlamaForward() {}

    /** Activation budget of one internal batch of {@link #logitsBatch}. */
    public static final long DEFAULT_BATCH_BYTES = 256L << 20;

    /** Receives the logits of windows [firstIndex, firstIndex + logits.rows()/T) of a streamed run. */
    @FunctionalInterface
    public interface BatchConsumer {
        void accept(int firstIndex, Matrix logits);
    }

    public static Matrix logits(LlamaWeights w, int[] tokens) {
        return logitsBatch(w, List.of(tokens)).get(0);
    }

    /** Logits of every sequence (any lengths, empty allowed); sequences of equal length run as one batch. */
    public static List<Matrix> logitsBatch(LlamaWeights w, List<int[]> sequences) {
        return logitsBatch(w, sequences, DEFAULT_BATCH_BYTES);
    }

    /** As {@link #logitsBatch(LlamaWeights, List)}, with the activation budget of one internal batch. */
    public static List<Matrix> logitsBatch(LlamaWeights w, List<int[]> sequences, long budgetBytes) {
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        for (int i = 0; i < sequences.size(); i++) byLength.computeIfAbsent(sequences.get(i).length, L -> new ArrayList<>()).add(i);
        List<Matrix> out = new ArrayList<>(sequences.size());
        for (int i = 0; i < sequences.size(); i++) out.add(null);
        int vocab = w.config().vocabSize();
        byLength.forEach((len, idx) -> {
            if (len == 0) {
                for (int i : idx) out.set(i, new Matrix(0, vocab));
                return;
            }
            // Equal lengths run together, in chunks that keep the activations of one chunk bounded.
            int chunk = batchSeqsFor(w.config(), len, budgetBytes);
            for (int from = 0; from < idx.size(); from += chunk) {
                int count = Math.min(chunk, idx.size() - from);
                int[][] windows = new int[count][];
                for (int j = 0; j < count; j++) windows[j] = sequences.get(idx.get(from + j));
                Matrix all = logits(w, windows);
                for (int j = 0; j < count; j++) out.set(idx.get(from + j), all.rowSlice(j * len, (j + 1) * len));
            }
        });
        return out;
    }

    /** Logits [nSeq*T, vocab] of equal-length windows, sequence-major. */
    public static Matrix logits(LlamaWeights w, int[][] windows) {
        return head(w, hidden(w, windows, ActivationCapture.NONE));
    }

    /**
     * Streams the logits of many equal-length windows in batches of at most batchSeqs windows, so
     * memory stays bounded by one batch's activations and logits.
     */
    public static void forEachBatch(LlamaWeights w, int[][] windows, int batchSeqs, BatchConsumer consumer) {
        if (batchSeqs <= 0) throw new IllegalArgumentException("batchSeqs must be > 0, got " + batchSeqs);
        for (int first = 0; first < windows.length; first += batchSeqs) {
            int count = Math.min(batchSeqs, windows.length - first);
            int[][] batch = new int[count][];
            System.arraycopy(windows, first, batch, 0, count);
            consumer.accept(first, logits(w, batch));
        }
    }

    /**
     * A batch size (windows) that keeps one batch's largest activations (hidden and vocab widths)
     * near {@code budgetBytes}; at least 1.
     */
    public static int batchSeqsFor(LlamaConfig c, int seqLen, long budgetBytes) {
        long perWindow = 4L * seqLen * (Math.max(c.hiddenDim(), c.vocabSize()) * 3L + c.dim() * 8L);
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, budgetBytes / Math.max(1, perWindow)));
    }

    /** Token embeddings of equal-length windows: the residual [nSeq*T, dim]. */
    public static Matrix embed(LlamaWeights w, int[][] windows) {
        int T = commonLength(windows);
        int dim = w.config().dim(), vocab = w.config().vocabSize();
        Matrix x = new Matrix(windows.length * T, dim);
        float[] e = w.tokenEmbedding().data();
        for (int s = 0; s < windows.length; s++) {
            for (int t = 0; t < T; t++) {
                int tok = windows[s][t];
                if (tok < 0 || tok >= vocab) {
                    throw new IllegalArgumentException("token id " + tok + " at window " + s + " position " + t + " is outside the vocabulary [0, " + vocab + ")");
                }
                System.arraycopy(e, tok * dim, x.data(), (s * T + t) * dim, dim);
            }
        }
        return x;
    }

    /** Residual after the last block (before the final norm), calling capture inside every block. */
    public static Matrix hidden(LlamaWeights w, int[][] windows, ActivationCapture capture) {
        int T = commonLength(windows);
        LlamaConfig c = w.config();
        Matrix x = embed(w, windows);
        RopeTable rope = RopeTable.of(c, Math.max(T, 1));
        for (int b = 0; b < c.nLayers(); b++) {
            x = BlockForward.forward(c, w.block(b), b, x, windows.length, T, capture, rope, BlockForward.KvSink.NONE);
        }
        return x;
    }

    /** Final RMSNorm then the classifier: logits [rows, vocab]. */
    public static Matrix head(LlamaWeights w, Matrix hidden) {
        Matrix normed = LayerOps.rmsnorm(hidden, w.finalNorm(), w.config().normEps());
        return Linear.nt(normed, w.head());
    }

    private static int commonLength(int[][] windows) {
        if (windows.length == 0) return 0;
        int T = windows[0].length;
        for (int s = 1; s < windows.length; s++) {
            if (windows[s].length != T) {
                throw new IllegalArgumentException("window " + s + " has " + windows[s].length + " tokens, window 0 has " + T + ": a batch needs equal lengths");
            }
        }
        return T;
    }
}
