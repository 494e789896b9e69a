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
import dev.mixprune.quant.Q8Matrix;
import dev.mixprune.sparse.PackedNM;
import dev.mixprune.sparse.PackedNMQ8;
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
 * chosen dtype; norms and biases (1-D) always F32, as llama.cpp's converter writes them. With Q8_0
 * or Q4_0 every 2-D tensor whose rows are whole 32-value blocks is quantized (bit-exact to ggml's
 * reference quantizers), the others are written F16 (llama.cpp cannot quantize them either). A
 * packed layout with Q8_0 stores the kept values as Q8_0 blocks ({@link PackedGguf}).
 */
final class GgufBlockSink implements BlockSink {
    private static final LayerKind[] ATTN = {LayerKind.WQ, LayerKind.WK, LayerKind.WV, LayerKind.WO};
    private static final LayerKind[] FFN = {LayerKind.W1, LayerKind.W2, LayerKind.W3};

    private final BlockSource source;
    private final LlamaConfig c;
    private final ModelFamily family;
    private final TensorDType dtype;
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
        this.dtype = dtype;
        this.packed = Map.copyOf(packed);
        if (dtype == TensorDType.Q4_0 && !packed.isEmpty()) throw new IllegalArgumentException("packed N:M values are stored as f32, f16 or q8_0, not q4_0");
        this.halvesQk = family.ggufRopeLayout() == RopeLayout.HALVES;
        if (ropeFreqs(c) != null && !family.ggufRopeFreqs()) {
            throw new IllegalArgumentException("a " + family.ggufArchitecture() + " GGUF cannot hold RoPE " + c.ropeScaling().describe()
                    + " (llama.cpp's " + family.ggufArchitecture() + " ignores rope_freqs)");
        }
        Map<String, GgufValue> pass = new LinkedHashMap<>();
        source.metadata().forEach((k, v) -> {
            if (v instanceof GgufValue g) pass.put(k, g);
        });
        if (!packed.isEmpty()) pass.keySet().removeIf(k -> k.startsWith(PackedGguf.NM_PREFIX) || k.equals(PackedGguf.PACKED_KEY));
        Map<String, GgufValue> meta = GgufModel.metadataFor(c, source.tokenizerOrNull(), pass, dtype);
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
                o.values(typeOf(c.dim()), source.embeddingRows(first, Math.min(step, c.vocabSize() - first)));
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
        t.add(spec(family.ggufName(TensorId.EMBEDDING), c.dim(), c.vocabSize(), typeOf(c.dim())));
        for (int l = 0; l < c.nLayers(); l++) {
            t.add(spec(family.ggufName(TensorId.attnNorm(l)), c.dim(), -1, GgmlType.F32));
            for (LayerKind k : ATTN) linearSpecs(t, l, k);
            t.add(spec(family.ggufName(TensorId.ffnNorm(l)), c.dim(), -1, GgmlType.F32));
            for (LayerKind k : FFN) linearSpecs(t, l, k);
        }
        t.add(spec(family.ggufName(TensorId.FINAL_NORM), c.dim(), -1, GgmlType.F32));
        if (!c.sharedClassifier()) t.add(spec(family.ggufName(TensorId.CLASSIFIER), c.dim(), c.vocabSize(), typeOf(c.dim())));
        return t;
    }

    /** The stored type of a 2-D weight with rows of {@code cols} values. */
    private GgmlType typeOf(int cols) { return dtype.ggmlTypeFor(cols); }

    /** The stored type of packed values: Q8_0 blocks for the quantized dtype, else the float type. */
    private GgmlType valueType() { return dtype == TensorDType.Q8_0 ? GgmlType.Q8_0 : dtype.ggmlTypeFor(0); }

    private void linearSpecs(List<GgufTensorWriter.Entry> t, int l, LayerKind k) {
        PackedGguf.Nm nm = packed.get(new LayerId(l, k));
        int rows = c.rowsOf(k), cols = c.colsOf(k);
        if (nm == null) {
            t.add(spec(family.ggufName(TensorId.weight(l, k)), cols, rows, typeOf(cols)));
        } else {
            t.add(spec(family.ggufName(TensorId.nmValues(l, k)), valueType() == GgmlType.Q8_0 ? nm.paddedSlots(cols) : nm.slotsPerRow(cols), rows, valueType()));
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

    private void tensor(String name, GgmlType type, float[] data) throws IOException {
        begin(name);
        o.values(type, data);
        end();
    }

    private void tensor(String name, byte[] raw) throws IOException {
        begin(name);
        o.bytes(raw);
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
        String name = family.ggufName(TensorId.weight(b, k));
        if (nm == null) {
            GgmlType type = typeOf(lw.cols());
            boolean permuted = halvesQk && (k == LayerKind.WQ || k == LayerKind.WK);
            switch (lw) {
                // Q8_0 blocks written as they are (no second rounding).
                case Q8Matrix q when type == GgmlType.Q8_0 && !permuted -> tensor(name, q.blocks(0, q.rows()));
                case Q8Matrix q -> tensor(name, type, qkRows(k, q.toDense().data(), q.cols()));
                case Matrix m -> tensor(name, type, qkRows(k, m.data(), m.cols()));
                default -> throw new IllegalStateException("GGUF sink: blk." + b + "." + k.shortName() + " is " + lw + ", not a dense weight");
            }
        } else {
            String values = family.ggufName(TensorId.nmValues(b, k));
            switch (lw) {
                // q/k rows in the architecture's order, as for a dense layer (rows are independent in N:M).
                case PackedNM p when p.n() == nm.n() && p.m() == nm.m() -> {
                    if (valueType() == GgmlType.Q8_0) tensor(values, qkPackedRows(k, PackedNMQ8.quantize(p).q8Blocks(), p.rows()));
                    else tensor(values, valueType(), qkPackedRows(k, p.values(), p.rows()));
                    tensor(family.ggufName(TensorId.nmIndex(b, k)), qkPackedRows(k, PackedGguf.packIndices(p), p.rows()));
                }
                case PackedNMQ8 q when q.n() == nm.n() && q.m() == nm.m() -> {
                    if (valueType() == GgmlType.Q8_0) tensor(values, qkPackedRows(k, q.q8Blocks(), q.rows()));
                    else tensor(values, valueType(), qkPackedRows(k, q.dequantize().values(), q.rows()));
                    tensor(family.ggufName(TensorId.nmIndex(b, k)), qkPackedRows(k, PackedGguf.packIndices(q), q.rows()));
                }
                default -> throw new IllegalStateException("GGUF sink: blk." + b + "." + k.shortName() + " should be packed " + nm + ", got " + lw);
            }
        }
        if (c.hasBias(k)) tensor(family.ggufName(TensorId.bias(b, k)), GgmlType.F32, qkRows(k, w.bias(k), 1));
    }

    /** A packed q/k tensor's rows (values, Q8_0 blocks or index bytes: any primitive array, rows back to back) in the architecture's order. */
    @SuppressWarnings("unchecked")
    private <T> T qkPackedRows(LayerKind k, T rowsBackToBack, int rows) {
        if (!halvesQk || (k != LayerKind.WQ && k != LayerKind.WK)) return rowsBackToBack;
        int n = java.lang.reflect.Array.getLength(rowsBackToBack);
        Object out = java.lang.reflect.Array.newInstance(rowsBackToBack.getClass().getComponentType(), n);
        RopePermutation.permuteRows(rowsBackToBack, out, rows, n / rows, k == LayerKind.WQ ? c.nHeads() : c.nKvHeads(), true);
        return (T) out;
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
                o.values(typeOf(c.dim()), source.classifierRows(first, Math.min(step, c.vocabSize() - first)));
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
