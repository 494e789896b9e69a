package dev.mixprune.io;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A model already in memory as a {@link BlockSource}. {@link #block} returns the model's OWN
 * block objects (not copies), so a pruner working on this source edits the model in place, which is
 * what the in-memory path (search, run) relies on.
 */
public final class WeightsBlockSource implements BlockSource {
    private final LlamaWeights w;
    private final Path path;
    private final ModelFormat format;
    private final Optional<Tokenizer> tokenizer;
    private final Map<String, Object> metadata;

    public WeightsBlockSource(LlamaWeights w) { this(w, Path.of("(in memory)"), ModelFormat.BIN, Optional.empty(), Map.of()); }

    public WeightsBlockSource(LoadedModel m) { this(m.weights(), m.path(), m.format(), m.tokenizer(), m.metadata()); }

    /** A model with a tokenizer (may be null) and metadata (as {@link LoadedModel#metadata()}; may be null), for writing it. */
    public static WeightsBlockSource of(LlamaWeights w, Tokenizer tokenizer, Map<String, Object> metadata) {
        return new WeightsBlockSource(w, Path.of("(in memory)"), ModelFormat.BIN, Optional.ofNullable(tokenizer),
                metadata == null ? Map.of() : metadata);
    }

    private WeightsBlockSource(LlamaWeights w, Path path, ModelFormat format, Optional<Tokenizer> tokenizer, Map<String, Object> metadata) {
        this.w = w;
        this.path = path;
        this.format = format;
        this.tokenizer = tokenizer;
        this.metadata = metadata;
    }

    public LlamaWeights weights() { return w; }

    @Override public Path path() { return path; }
    @Override public ModelFormat format() { return format; }
    @Override public LlamaConfig config() { return w.config(); }
    @Override public Optional<Tokenizer> tokenizer() { return tokenizer; }
    @Override public Map<String, Object> metadata() { return metadata; }
    @Override public String weightType() { return "F32"; }
    @Override public BlockWeights block(int b) { return w.block(b); }

    @Override public float[] embeddingRows(int first, int count) { return rows(w.tokenEmbedding(), first, count); }

    @Override public float[] classifierRows(int first, int count) {
        if (w.config().sharedClassifier()) throw new IllegalStateException("the classifier is shared with the embedding");
        return rows(w.classifier(), first, count);
    }

    @Override public float[] finalNorm() { return w.finalNorm(); }

    @Override public Matrix classifier() { return w.classifier(); }

    @Override public void close() { }

    private static float[] rows(Matrix m, int first, int count) {
        if (first < 0 || count < 0 || first + count > m.rows()) throw new IndexOutOfBoundsException("rows [" + first + ", " + (first + count) + ") of " + m.rows());
        float[] out = new float[count * m.cols()];
        System.arraycopy(m.data(), first * m.cols(), out, 0, out.length);
        return out;
    }
}
