package dev.mixprune.io;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model read piece by piece instead of whole: the config and metadata up front, then the
 * decoder blocks as float32 {@link BlockWeights} one at a time on demand, and the non-block
 * tensors (embedding, final norm, classifier) row range by row range. Streaming pruning holds one
 * block at a time ({@link MappedBlockSource} reads it from the memory-mapped file);
 * {@link WeightsBlockSource} serves a model already in memory.
 */
public interface BlockSource extends AutoCloseable {
    Path path();

    ModelFormat format();

    LlamaConfig config();

    Optional<Tokenizer> tokenizer();

    /** As {@link LoadedModel#metadata()}: GGUF key/values ({@link GgufValue}), HF config.json entries, nothing for .bin. */
    Map<String, Object> metadata();

    /** How the linear weights are stored ("F32", "F16", "BF16", "Q8_0"; "mixed" when they differ). */
    String weightType();

    /**
     * Block {@code b} as float32, freshly read (a {@link MappedBlockSource} returns a new object
     * each call; dropping it frees it).
     */
    BlockWeights block(int b);

    /**
     * The caller is done with {@code w} (a block this source handed out) and keeps no reference to
     * it: the source may reuse its arrays for the next {@link #block} call. Streaming passes call
     * this after each block so that reading a model allocates one block's arrays in total instead
     * of one per block (garbage the JVM would otherwise let pile up in the old generation).
     */
    default void release(BlockWeights w) { }

    /** Rows [first, first + count) of the token embedding, row-major float32 ({@code count * dim} values). */
    float[] embeddingRows(int first, int count);

    /** Rows [first, first + count) of the unshared classifier; an error when the classifier is the embedding. */
    float[] classifierRows(int first, int count);

    float[] finalNorm();

    @Override
    void close();

    default Tokenizer requireTokenizer() {
        return tokenizer().orElseThrow(() -> new dev.mixprune.BadInputException(path() + ": no tokenizer found (pass --tokenizer)"));
    }

    /** The tokenizer, or null when none was found. */
    default Tokenizer tokenizerOrNull() { return tokenizer().orElse(null); }

    /** The output float type that keeps what the input stores: F16 for F16 weights, else F32 (BF16 and Q8_0 are not written). */
    default TensorDType naturalOutputType() { return weightType().equals("F16") ? TensorDType.F16 : TensorDType.F32; }

    /** The residual-stream input of block 0: the embedding rows of the tokens, sequence-major [seqs * seqLen, dim]. */
    default Matrix embed(List<int[]> seqs, int seqLen) {
        return gatherRows(config().dim(), seqs, seqLen, token -> embeddingRows(token, 1));
    }

    /** [seqs * seqLen, dim]: row (s, t) is {@code row.apply(seqs[s][t])}. */
    static Matrix gatherRows(int dim, List<int[]> seqs, int seqLen, java.util.function.IntFunction<float[]> row) {
        Matrix x = new Matrix(seqs.size() * seqLen, dim);
        float[] d = x.data();
        for (int s = 0; s < seqs.size(); s++) {
            int[] tok = seqs.get(s);
            for (int t = 0; t < seqLen; t++) System.arraycopy(row.apply(tok[t]), 0, d, (s * seqLen + t) * dim, dim);
        }
        return x;
    }

    /** The whole classifier (the embedding when shared) as float32: needed only for logits (evaluation). */
    default Matrix classifier() {
        LlamaConfig c = config();
        return new Matrix(c.vocabSize(), c.dim(), c.sharedClassifier() ? embeddingRows(0, c.vocabSize()) : classifierRows(0, c.vocabSize()));
    }
}
