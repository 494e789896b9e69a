package dev.mixprune.io;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Streams a LLaMA GGUF in {@link GgufLlama#write}'s layout: the header (metadata, every tensor's
 * name, shape, type and offset) first, then the embedding copied from the source in row chunks,
 * then each block's tensors as it arrives, then the final norm and classifier.
 */
final class GgufBlockSink implements BlockSink {
    private static final LayerKind[] ATTN = {LayerKind.WQ, LayerKind.WK, LayerKind.WV, LayerKind.WO};
    private static final LayerKind[] FFN = {LayerKind.W1, LayerKind.W2, LayerKind.W3};

    private final BlockSource source;
    private final LlamaConfig c;
    private final GgmlType weightType;
    private final PendingFile pending;
    private final OutputStream os;
    private final LeOutput o;
    private final List<GgufTensorWriter.Entry> entries;
    private final long[] offsets;
    private final long alignment;
    private final long dataStart;
    private int next; // index of the next tensor to write
    private int nextBlock;

    GgufBlockSink(BlockSource source, Path out, TensorDType dtype) throws IOException {
        this.source = source;
        this.c = source.config();
        this.weightType = dtype == TensorDType.F32 ? GgmlType.F32 : GgmlType.F16;
        Map<String, GgufValue> pass = new LinkedHashMap<>();
        source.metadata().forEach((k, v) -> {
            if (v instanceof GgufValue g) pass.put(k, g);
        });
        Map<String, GgufValue> meta = GgufLlama.metadataFor(c, source.tokenizerOrNull(), pass, dtype);
        alignment = GgufTensorWriter.alignment(meta);
        if (alignment <= 0 || Long.bitCount(alignment) != 1) throw new IllegalArgumentException("general.alignment must be a power of two, got " + alignment);
        entries = layout();
        offsets = GgufTensorWriter.offsets(entries, alignment);
        pending = PendingFile.create(out);
        OutputStream s = null;
        try {
            s = new BufferedOutputStream(Files.newOutputStream(pending.tmp()), 1 << 20);
            o = new LeOutput(s);
            dataStart = GgufTensorWriter.writeHeader(o, meta, entries, offsets, alignment);
            for (int first = 0, step = BlockSink.chunkRows(c.dim()); first < c.vocabSize(); first += step) {
                if (first == 0) begin("token_embd.weight");
                write(weightType, source.embeddingRows(first, Math.min(step, c.vocabSize() - first)));
            }
            end();
        } catch (IOException | RuntimeException e) {
            if (s != null) s.close();
            pending.close();
            throw e;
        }
        this.os = s;
    }

    /** Tensor names, dims and types in the writer's order (the data comes later). */
    private List<GgufTensorWriter.Entry> layout() {
        List<GgufTensorWriter.Entry> t = new ArrayList<>();
        t.add(spec("token_embd.weight", c.dim(), c.vocabSize(), weightType));
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "blk." + l + ".";
            t.add(spec(p + "attn_norm.weight", c.dim(), -1, GgmlType.F32));
            for (LayerKind k : ATTN) t.add(spec(p + GgufLlama.tensorName(k) + ".weight", c.colsOf(k), c.rowsOf(k), weightType));
            t.add(spec(p + "ffn_norm.weight", c.dim(), -1, GgmlType.F32));
            for (LayerKind k : FFN) t.add(spec(p + GgufLlama.tensorName(k) + ".weight", c.colsOf(k), c.rowsOf(k), weightType));
        }
        t.add(spec("output_norm.weight", c.dim(), -1, GgmlType.F32));
        if (!c.sharedClassifier()) t.add(spec("output.weight", c.dim(), c.vocabSize(), weightType));
        return t;
    }

    private static GgufTensorWriter.Entry spec(String name, long d0, long d1, GgmlType type) {
        long[] dims = d1 < 0 ? new long[]{d0} : new long[]{d0, d1};
        return new GgufTensorWriter.LazyFloats(name, dims, type, () -> {
            throw new IllegalStateException("header-only entry " + name);
        });
    }

    /** Checks that tensor {@code next} is {@code name} and that the stream is at its offset. */
    private void begin(String name) {
        GgufTensorWriter.Entry e = entries.get(next);
        if (!e.name().equals(name)) throw new IllegalStateException("GGUF sink: expected tensor " + e.name() + ", got " + name);
        if (o.position() != dataStart + offsets[next]) throw new IllegalStateException("GGUF sink lost its position at tensor " + name);
    }

    private void end() throws IOException {
        o.padTo(alignment);
        next++;
    }

    private void write(GgmlType type, float[] data) throws IOException {
        if (type == GgmlType.F32) o.floats(data); else o.halfs(data);
    }

    private void tensor(String name, GgmlType type, float[] data) throws IOException {
        begin(name);
        write(type, data);
        end();
    }

    @Override public void accept(int b, BlockWeights w) throws IOException {
        if (b != nextBlock) throw new IllegalStateException("GGUF sink: block " + b + " arrived, expected " + nextBlock);
        String p = "blk." + b + ".";
        tensor(p + "attn_norm.weight", GgmlType.F32, w.attNorm());
        for (LayerKind k : ATTN) tensor(p + GgufLlama.tensorName(k) + ".weight", weightType, w.linear(k).data());
        tensor(p + "ffn_norm.weight", GgmlType.F32, w.ffnNorm());
        for (LayerKind k : FFN) tensor(p + GgufLlama.tensorName(k) + ".weight", weightType, w.linear(k).data());
        nextBlock++;
    }

    @Override public void finish() throws IOException {
        if (nextBlock != c.nLayers()) throw new IllegalStateException("GGUF sink: finish after " + nextBlock + " of " + c.nLayers() + " blocks");
        tensor("output_norm.weight", GgmlType.F32, source.finalNorm());
        if (!c.sharedClassifier()) {
            for (int first = 0, step = BlockSink.chunkRows(c.dim()); first < c.vocabSize(); first += step) {
                if (first == 0) begin("output.weight");
                write(weightType, source.classifierRows(first, Math.min(step, c.vocabSize() - first)));
            }
            end();
        }
        o.flush();
        os.close();
        pending.commit();
    }

    @Override public void close() throws IOException {
        try {
            os.close();
        } finally {
            pending.close();
        }
    }
}
