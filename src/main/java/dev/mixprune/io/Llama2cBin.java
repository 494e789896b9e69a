package dev.mixprune.io;

import dev.mixprune.BadInputException;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * llama2.c legacy (v0) checkpoint (docs/algorithms.md 9.1): 7 x int32 header, then float32
 * arrays grouped by tensor type, layers back to back; RoPE tables skipped on read and written as
 * run.c expects them on write. The header and the byte layout are here; {@link MappedBlockSource}
 * reads the tensors and {@link BinBlockSink} writes them. The format holds plain LLaMA models only
 * (head size dim / n_heads, no biases, plain RoPE: {@link LlamaConfig#isPlainLlama()}).
 */
public final class Llama2cBin {
    private Llama2cBin() {}

    static final int HEADER_BYTES = 28;
    static final String[] HEADER_FIELDS = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};

    /** Expected file size for a config, in bytes. */
    public static long expectedSize(LlamaConfig c) {
        long floats = c.parameterCount() + 2L * c.seqLen() * (c.headSize() / 2);
        return HEADER_BYTES + 4 * floats;
    }

    public static LlamaConfig readConfig(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_BYTES) throw BadInputException.at(file, 0, "header", "file has " + size + " bytes, a llama2.c header needs 28");
            ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (h.hasRemaining()) if (ch.read(h) < 0) break;
            h.flip();
            int[] v = new int[7];
            for (int i = 0; i < 7; i++) v[i] = h.getInt();
            if (v[0] == 0x616b3432) {
                throw BadInputException.at(file, 0, "header", "magic \"ak42\": this is a llama2.c v1/v2 export; only the legacy v0 format (export.py --version 0) is supported");
            }
            if (v[0] == 0x46554747) throw BadInputException.at(file, 0, "header", "this is a GGUF file: name it *.gguf");
            for (int i = 0; i < 7; i++) {
                if (i != 5 && v[i] <= 0) throw BadInputException.at(file, 4L * i, HEADER_FIELDS[i], "must be > 0, got " + v[i]);
            }
            if (v[5] == 0 || v[5] == Integer.MIN_VALUE) throw BadInputException.at(file, 20, "vocab_size", "must be non-zero, got " + v[5]);
            LlamaConfig c;
            try {
                c = new LlamaConfig(v[0], v[1], v[2], v[3], v[4], Math.abs(v[5]), v[6], LlamaConfig.DEFAULT_EPS,
                        LlamaConfig.DEFAULT_ROPE_THETA, v[5] > 0);
            } catch (IllegalArgumentException e) {
                throw BadInputException.at(file, 0, "header", e.getMessage());
            }
            long expected = expectedSize(c);
            if (size != expected) {
                throw BadInputException.at(file, 0, "header", "header (dim " + v[0] + ", hidden " + v[1] + ", layers " + v[2] + ", heads " + v[3]
                        + ", kv heads " + v[4] + ", vocab " + v[5] + ", seq_len " + v[6] + ") implies " + expected + " bytes, file has " + size
                        + (size < expected ? " (truncated or not a llama2.c v0 checkpoint)" : ""));
            }
            return c;
        }
    }

    /** The (obsolete) RoPE tables {cos, sin} [seqLen][headSize/2] as model.py's precompute_freqs_cis wrote them (run.c ignores them). */
    static float[][] ropeTables(LlamaConfig c) {
        int hs = c.headSize();
        float[] re = new float[c.seqLen() * (hs / 2)], im = new float[re.length];
        for (int p = 0; p < c.seqLen(); p++) {
            for (int j = 0; j < hs / 2; j++) {
                float freq = (float) (1.0 / Math.pow(c.ropeTheta(), (2.0 * j) / hs));
                float ang = p * freq;
                re[p * (hs / 2) + j] = (float) Math.cos(ang);
                im[p * (hs / 2) + j] = (float) Math.sin(ang);
            }
        }
        return new float[][]{re, im};
    }

    /**
     * Byte offsets of every tensor of a v0 file (the order {@link #write} uses): header, embedding,
     * all attention norms, all wq, all wk, all wv, all wo, all FFN norms, all w1, all w2, all w3,
     * final norm, the two RoPE tables, the classifier when it is not shared. Lets a reader map one
     * block and a writer fill a pre-sized file block by block.
     */
    public record Layout(LlamaConfig c) {
        private static final LayerKind[] ATTN = {LayerKind.WQ, LayerKind.WK, LayerKind.WV, LayerKind.WO};
        private static final LayerKind[] FFN = {LayerKind.W1, LayerKind.W2, LayerKind.W3};

        public long embedding() { return HEADER_BYTES; }
        private long attNorms() { return embedding() + 4L * c.vocabSize() * c.dim(); }
        public long attNorm(int l) { return attNorms() + 4L * l * c.dim(); }
        private long ffnNorms() {
            long at = attNorms() + 4L * c.nLayers() * c.dim();
            for (LayerKind k : ATTN) at += 4L * c.nLayers() * c.weightsOf(k);
            return at;
        }
        public long ffnNorm(int l) { return ffnNorms() + 4L * l * c.dim(); }

        public long linear(LayerKind kind, int l) {
            boolean attn = kind.ordinal() <= LayerKind.WO.ordinal();
            long at = attn ? attNorms() + 4L * c.nLayers() * c.dim() : ffnNorms() + 4L * c.nLayers() * c.dim();
            for (LayerKind k : attn ? ATTN : FFN) {
                if (k == kind) return at + 4L * l * c.weightsOf(k);
                at += 4L * c.nLayers() * c.weightsOf(k);
            }
            throw new IllegalStateException("unreachable");
        }

        public long finalNorm() { return linear(LayerKind.W3, c.nLayers()); }
        public long ropeTables() { return finalNorm() + 4L * c.dim(); }
        /** Offset of the unshared classifier (equal to the file size when it is shared). */
        public long classifier() { return ropeTables() + 2L * 4 * c.seqLen() * (c.headSize() / 2); }
        public long fileSize() { return classifier() + (c.sharedClassifier() ? 0 : 4L * c.vocabSize() * c.dim()); }
    }
}
