package dev.mixprune.io;

import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a llama2.c .bin block by block. The format groups tensors by kind across layers (all wq,
 * then all wk, ...), so one block's tensors are scattered over the file; every offset follows from
 * the config ({@link Llama2cBin.Layout}), so each tensor is written in place with positional writes
 * into a temporary file sized up front. The vocabulary
 * goes to tokenizer.bin beside the file.
 */
final class BinBlockSink implements BlockSink {
    private final BlockSource source;
    private final LlamaConfig c;
    private final Llama2cBin.Layout layout;
    private final Path out;
    private final PendingFile pending;
    private final FileChannel ch;
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private int nextBlock;

    BinBlockSink(BlockSource source, Path out) throws IOException {
        this.source = source;
        this.c = source.config();
        this.layout = new Llama2cBin.Layout(c);
        this.out = out;
        pending = PendingFile.create(out);
        FileChannel f = null;
        try {
            f = FileChannel.open(pending.tmp(), StandardOpenOption.WRITE);
            ch = f;
            ByteBuffer h = ByteBuffer.allocate(Llama2cBin.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(c.dim()).putInt(c.hiddenDim()).putInt(c.nLayers()).putInt(c.nHeads()).putInt(c.nKvHeads())
                    .putInt(c.sharedClassifier() ? c.vocabSize() : -c.vocabSize()).putInt(c.seqLen()).flip();
            writeFully(h, 0);
            long at = layout.embedding();
            for (int first = 0, step = BlockSink.chunkRows(c.dim()); first < c.vocabSize(); first += step) {
                float[] rows = source.embeddingRows(first, Math.min(step, c.vocabSize() - first));
                floats(at, rows);
                at += 4L * rows.length;
            }
        } catch (IOException | RuntimeException e) {
            if (f != null) f.close();
            pending.close();
            throw e;
        }
    }

    private void writeFully(ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) pos += ch.write(b, pos);
    }

    /** Little-endian float32 values at byte {@code pos}, through the 1 MiB buffer. */
    private void floats(long pos, float[] a) throws IOException {
        int i = 0;
        while (i < a.length) {
            buf.clear();
            int n = Math.min(a.length - i, buf.capacity() / 4);
            buf.asFloatBuffer().put(a, i, n);
            buf.limit(4 * n);
            writeFully(buf, pos);
            pos += 4L * n;
            i += n;
        }
    }

    @Override public void accept(int b, BlockWeights w) throws IOException {
        if (b != nextBlock) throw new IllegalStateException(".bin sink: block " + b + " arrived, expected " + nextBlock);
        floats(layout.attNorm(b), w.attNorm());
        floats(layout.ffnNorm(b), w.ffnNorm());
        for (LayerKind k : LayerKind.values()) floats(layout.linear(k, b), w.linear(k).data());
        nextBlock++;
    }

    @Override public void finish() throws IOException {
        if (nextBlock != c.nLayers()) throw new IllegalStateException(".bin sink: finish after " + nextBlock + " of " + c.nLayers() + " blocks");
        floats(layout.finalNorm(), source.finalNorm());
        float[][] rope = Llama2cBin.ropeTables(c);
        floats(layout.ropeTables(), rope[0]);
        floats(layout.ropeTables() + 4L * rope[0].length, rope[1]);
        if (!c.sharedClassifier()) {
            long at = layout.classifier();
            for (int first = 0, step = BlockSink.chunkRows(c.dim()); first < c.vocabSize(); first += step) {
                float[] rows = source.classifierRows(first, Math.min(step, c.vocabSize() - first));
                floats(at, rows);
                at += 4L * rows.length;
            }
        }
        if (ch.size() != layout.fileSize()) throw new IllegalStateException(".bin sink wrote " + ch.size() + " bytes, the layout says " + layout.fileSize());
        ch.close();
        pending.commit();
        Tokenizer t = source.tokenizerOrNull();
        if (t != null) TokenizerBin.write(t, out.toAbsolutePath().resolveSibling("tokenizer.bin"));
    }

    @Override public void close() throws IOException {
        try {
            ch.close();
        } finally {
            pending.close();
        }
    }
}
