package dev.mixprune.io;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LlamaConfig;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a block-by-block pass puts each finished block. The file sinks ({@link #open}) write the
 * model progressively to a temporary file: shapes are known from the source, so headers and
 * layouts are fixed up front, the non-block tensors are copied from the source in row chunks, and
 * each block is written when it arrives; {@link #finish} writes the rest and renames the file into
 * place. {@link #close} without {@code finish} deletes everything, so a failure leaves no output.
 */
public interface BlockSink extends AutoCloseable {
    /** Block {@code b} in its final form; blocks arrive in order 0, 1, ... */
    void accept(int b, BlockWeights w) throws IOException;

    /** Writes everything after the last block and publishes the output. */
    void finish() throws IOException;

    /** Releases resources; without a successful {@link #finish} the partial output is deleted. */
    @Override
    void close() throws IOException;

    /** Keeps nothing: for passes that edit an in-memory model in place. */
    BlockSink DISCARD = new BlockSink() {
        @Override public void accept(int b, BlockWeights w) { }
        @Override public void finish() { }
        @Override public void close() { }
    };

    /**
     * The writer of {@code format} in {@code dtype} (the only one: {@link ModelWriter#write} feeds
     * it from memory), with the non-block tensors, vocabulary and metadata taken from
     * {@code source}. Nothing is visible at {@code out} before {@link #finish}.
     */
    static BlockSink open(BlockSource source, Path out, ModelFormat format, TensorDType dtype) throws IOException {
        return switch (format) {
            case BIN -> {
                if (dtype != TensorDType.F32) throw new IllegalArgumentException("llama2.c .bin holds float32 only, not " + dtype);
                LlamaConfig c = source.config();
                if (!c.isPlainLlama()) {
                    throw new IllegalArgumentException("llama2.c .bin holds plain LLaMA models only (head size dim / n_heads, no biases, plain RoPE); "
                            + source.path() + " is not one: write gguf or safetensors");
                }
                // the header has no field for these: a reader would silently use llama2.c's values
                if (c.ropeTheta() != LlamaConfig.DEFAULT_ROPE_THETA || c.normEps() != LlamaConfig.DEFAULT_EPS) {
                    throw new IllegalArgumentException("llama2.c .bin has no rope_theta or rms_norm_eps (readers assume " + LlamaConfig.DEFAULT_ROPE_THETA
                            + " and " + LlamaConfig.DEFAULT_EPS + "); " + source.path() + " has rope_theta " + c.ropeTheta() + ", rms_norm_eps "
                            + c.normEps() + ": write gguf or safetensors");
                }
                yield new BinBlockSink(source, out);
            }
            case GGUF -> new GgufBlockSink(source, out, dtype);
            case SAFETENSORS -> {
                if (dtype.quantized()) throw new IllegalArgumentException("safetensors models are written as f32 or f16, not " + dtype.lower() + " (write gguf for Q8_0 / Q4_0)");
                yield new SafetensorsBlockSink(source, out, dtype);
            }
        };
    }

    /** Rows per chunk when copying a [rows][cols] non-block tensor: about 8 MiB of float32 at a time. */
    static int chunkRows(int cols) { return Math.max(1, (8 << 20) / (4 * Math.max(1, cols))); }
}
