package dev.mixprune.io;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.RopeScaling;
import dev.mixprune.model.family.ModelFamilies;
import dev.mixprune.model.family.ModelFamily;
import dev.mixprune.model.family.RopeLayout;
import dev.mixprune.model.family.TensorId;
import dev.mixprune.sparse.PackedNM;
import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;

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
 * THE GGUF writer of models (whole models go through it too, see {@link ModelWriter}): the
 * header (metadata, every tensor's name, shape, type and offset) first, then the embedding copied
 * from the source in row chunks, then each block's tensors as it arrives, then the final norm and
 * classifier. Names and metadata keys are the family's; q/k rows are written in the order the
 * family's GGUF architecture expects. With a packed layout ({@link PackedGguf}) the listed layers
 * are written as value/index pairs and the file is marked packed.
 *
 * <p>Tensor order (llama.cpp's converter's): rope_freqs (Llama 3.1 scaling only), token_embd, per block attn_norm, attn_q, attn_k,
 * attn_v, attn_output (each weight followed by its bias if any), ffn_norm, ffn_gate, ffn_down,
 * ffn_up, then output_norm and output (only when not shared with the embedding). Weights in the
 * chosen dtype; norms and biases (1-D) always F32, as llama.cpp's converter writes them.
 */
final class GgufBlockSink implements BlockSink {
    private static final LayerKind[] ATTN = {LayerKind.WQ, LayerKind.WK, LayerKind.WV, LayerKind.WO};
    private static final LayerKind[] FFN = {LayerKind.W1, LayerKind.W2, LayerKind.W3};

    private final BlockSource source;
    private final LlamaConfig c;
    private final ModelFamily family;
    private final GgmlType weightType;
    private final Map<LayerId, PackedGguf.Nm> packed;
    private final boolean halvesQk;
    private final PendingFile pending;
    private final OutputStream os;
    private final LeOutput o;
    private final List<GgufTensorWriter.Entry> entries;
    private final long[] offsets;
    private final long alignment;
    private final long dataStart;
    private int next; // index of the next tensor to write
    private int nextBlock;

    /** A plain (dense) GGUF. */
    GgufBlockSink(BlockSource source, Path out, TensorDType dtype) throws IOException {
        this(source, out, dtype, Map.of());
    }

    /** {@code packed}: the layers written as packed N:M (empty for a plain GGUF). */
    GgufBlockSink(BlockSource source, Path out, TensorDType dtype, Map<LayerId, PackedGguf.Nm> packed) throws IOException {
        this.source = source;
        this.c = source.config();
        this.family = ModelFamilies.of(c);
        this.weightType = dtype == TensorDType.F32 ? GgmlType.F32 : GgmlType.F16;
        this.packed = Map.copyOf(packed);
        this.halvesQk = family.ggufRopeLayout() == RopeLayout.HALVES;
        Map<String, GgufValue> pass = new LinkedHashMap<>();
        source.metadata().forEach((k, v) -> {
            if (v instanceof GgufValue g) pass.put(k, g);
        });
        if (!packed.isEmpty()) pass.keySet().removeIf(k -> k.startsWith(PackedGguf.NM_PREFIX) || k.equals(PackedGguf.PACKED_KEY));
        Map<String, GgufValue> meta = GgufModel.metadataFor(c, source.vocabularyOrNull(), pass, dtype);
        if (!packed.isEmpty()) PackedGguf.putMetadata(meta, family, this.packed);
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
            float[] freqs = ropeFreqs(c);
            if (freqs != null) tensor(family.ggufName(TensorId.ROPE_FREQS), GgmlType.F32, freqs);
            String emb = family.ggufName(TensorId.EMBEDDING);
            for (int first = 0, step = BlockSink.chunkRows(c.dim()); first < c.vocabSize(); first += step) {
                if (first == 0) begin(emb);
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

    /**
     * llama.cpp's {@code rope_freqs} tensor (a divisor per frequency, F32) for llama3 scaling or
     * explicit factors, as its converter writes Llama 3.1; null for plain and linear RoPE (linear is metadata).
     */
    static float[] ropeFreqs(LlamaConfig c) {
        return switch (c.ropeScaling()) {
            case RopeScaling.None n -> null;
            case RopeScaling.Linear l -> null;
            case RopeScaling.Factors f -> f.factors();
            case RopeScaling.Llama3 l -> {
                double[] d = l.divisors(c.headDim(), Double.parseDouble(Float.toString(c.ropeTheta())));
                float[] out = new float[d.length];
                for (int j = 0; j < d.length; j++) out[j] = (float) d[j];
                yield out;
            }
        };
    }

    /** Tensor names, dims and types in the writer's order (the data comes later). */
    private List<GgufTensorWriter.Entry> layout() {
        List<GgufTensorWriter.Entry> t = new ArrayList<>();
        if (ropeFreqs(c) != null) t.add(spec(family.ggufName(TensorId.ROPE_FREQS), c.headDim() / 2, -1, GgmlType.F32));
        t.add(spec(family.ggufName(TensorId.EMBEDDING), c.dim(), c.vocabSize(), weightType));
        for (int l = 0; l < c.nLayers(); l++) {
            t.add(spec(family.ggufName(TensorId.attnNorm(l)), c.dim(), -1, GgmlType.F32));
            for (LayerKind k : ATTN) linearSpecs(t, l, k);
            t.add(spec(family.ggufName(TensorId.ffnNorm(l)), c.dim(), -1, GgmlType.F32));
            for (LayerKind k : FFN) linearSpecs(t, l, k);
        }
        t.add(spec(family.ggufName(TensorId.FINAL_NORM), c.dim(), -1, GgmlType.F32));
        if (!c.sharedClassifier()) t.add(spec(family.ggufName(TensorId.CLASSIFIER), c.dim(), c.vocabSize(), weightType));
        return t;
    }

    private void linearSpecs(List<GgufTensorWriter.Entry> t, int l, LayerKind k) {
        PackedGguf.Nm nm = packed.get(new LayerId(l, k));
        int rows = c.rowsOf(k), cols = c.colsOf(k);
        if (nm == null) {
            t.add(spec(family.ggufName(TensorId.weight(l, k)), cols, rows, weightType));
        } else {
            t.add(spec(family.ggufName(TensorId.nmValues(l, k)), nm.slotsPerRow(cols), rows, weightType));
            String name = family.ggufName(TensorId.nmIndex(l, k));
            t.add(new GgufTensorWriter.LazyBytes(name, new long[]{nm.indexRowBytes(cols), rows}, () -> {
                throw new IllegalStateException("header-only entry " + name);
            }));
        }
        if (c.hasBias(k)) t.add(spec(family.ggufName(TensorId.bias(l, k)), rows, -1, GgmlType.F32));
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
        tensor(family.ggufName(TensorId.attnNorm(b)), GgmlType.F32, w.attNorm());
        for (LayerKind k : ATTN) linear(b, k, w);
        tensor(family.ggufName(TensorId.ffnNorm(b)), GgmlType.F32, w.ffnNorm());
        for (LayerKind k : FFN) linear(b, k, w);
        nextBlock++;
    }

    private void linear(int b, LayerKind k, BlockWeights w) throws IOException {
        PackedGguf.Nm nm = packed.get(new LayerId(b, k));
        LinearWeight lw = w.weight(k);
        if (nm == null) {
            Matrix m = w.linear(k);
            tensor(family.ggufName(TensorId.weight(b, k)), weightType, qkRows(k, m.data(), m.cols()));
        } else {
            if (!(lw instanceof PackedNM p) || p.n() != nm.n() || p.m() != nm.m()) {
                throw new IllegalStateException("GGUF sink: blk." + b + "." + k.shortName() + " should be packed " + nm + ", got " + lw);
            }
            tensor(family.ggufName(TensorId.nmValues(b, k)), weightType, p.values());
            begin(family.ggufName(TensorId.nmIndex(b, k)));
            o.bytes(PackedGguf.packIndices(p));
            end();
        }
        if (c.hasBias(k)) tensor(family.ggufName(TensorId.bias(b, k)), GgmlType.F32, qkRows(k, w.bias(k), 1));
    }

    /** q/k rows (weights: {@code cols} per row; biases: 1) in the order the architecture expects. */
    private float[] qkRows(LayerKind k, float[] data, int cols) {
        if (!halvesQk || (k != LayerKind.WQ && k != LayerKind.WK)) return data;
        return RopePermutation.toHalves(data, data.length / cols, cols, k == LayerKind.WQ ? c.nHeads() : c.nKvHeads());
    }

    @Override public void finish() throws IOException {
        if (nextBlock != c.nLayers()) throw new IllegalStateException("GGUF sink: finish after " + nextBlock + " of " + c.nLayers() + " blocks");
        tensor(family.ggufName(TensorId.FINAL_NORM), GgmlType.F32, source.finalNorm());
        if (!c.sharedClassifier()) {
            String cls = family.ggufName(TensorId.CLASSIFIER);
            for (int first = 0, step = BlockSink.chunkRows(c.dim()); first < c.vocabSize(); first += step) {
                if (first == 0) begin(cls);
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
