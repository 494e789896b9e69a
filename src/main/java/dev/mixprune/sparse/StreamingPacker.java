package dev.mixprune.sparse;

import dev.mixprune.io.GgufVocabulary;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.io.GgufTensorWriter;

import dev.mixprune.io.GgmlType;
import dev.mixprune.io.GgufFile;
import dev.mixprune.io.GgufLlama;
import dev.mixprune.io.GgufValue;
import dev.mixprune.io.TensorDType;
import dev.mixprune.tokenizer.Vocabulary;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.tensor.Matrix;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Magnitude N:M pruning and packing of a GGUF model too large for memory, block by block: each
 * linear is read from the memory-mapped input when the output writer reaches it, masked, packed and
 * written, and its input pages are released ({@code MemorySegment.unload}) right after, so memory
 * holds about one layer (plus the embedding while it is copied). The output is a packed GGUF
 * (docs/formats.md "Packed N:M"); its header is known up front because packed shapes follow from
 * N:M. Magnitude only: calibrated methods (Wanda, SparseGPT) need activations through the model.
 */
public final class StreamingPacker {
    private StreamingPacker() {}

    /** Called when block {@code block} has been written, with the seconds it took. */
    @FunctionalInterface
    public interface Progress {
        void blockDone(int block, double seconds);
    }

    public static void prune(Path in, Path out, int n, int m, TensorDType dtype, Progress progress) throws IOException {
        try (GgufFile f = GgufFile.open(in)) {
            LlamaConfig c = GgufLlama.config(f);
            Tokenizer tokenizer = GgufVocabulary.read(f, c.vocabSize()).orElse(null);
            Map<String, GgufValue> pass = new LinkedHashMap<>(f.metadata());
            pass.keySet().removeIf(k -> k.startsWith(PackedGguf.NM_PREFIX));
            Map<String, GgufValue> meta = GgufLlama.metadataFor(c, tokenizer, pass, dtype);
            meta.put(PackedGguf.PACKED_KEY, GgufValue.ofBool(true));
            GgmlType ft = dtype == TensorDType.F32 ? GgmlType.F32 : GgmlType.F16;
            List<GgufTensorWriter.Entry> t = new ArrayList<>();
            t.add(copy(f, "token_embd.weight", ft));
            long[] blockStart = new long[1];
            for (int l = 0; l < c.nLayers(); l++) {
                final int block = l;
                String p = "blk." + l + ".";
                GgufFile.TensorInfo an = f.requireTensor(p + "attn_norm.weight");
                t.add(new GgufTensorWriter.LazyFloats(an.name(), an.dims(), GgmlType.F32, () -> {
                    blockStart[0] = System.nanoTime();
                    return f.readFloats(an);
                }));
                for (LayerKind k : new LayerKind[]{LayerKind.WQ, LayerKind.WK, LayerKind.WV, LayerKind.WO}) packed(t, meta, f, PackedGguf.weightName(l, k), c.rowsOf(k), c.colsOf(k), n, m, ft, null);
                t.add(copy(f, p + "ffn_norm.weight", GgmlType.F32));
                for (LayerKind k : new LayerKind[]{LayerKind.W1, LayerKind.W2, LayerKind.W3}) {
                    Runnable done = k == LayerKind.W3 ? () -> progress.blockDone(block, (System.nanoTime() - blockStart[0]) / 1e9) : null;
                    packed(t, meta, f, PackedGguf.weightName(l, k), c.rowsOf(k), c.colsOf(k), n, m, ft, done);
                }
            }
            t.add(copy(f, "output_norm.weight", GgmlType.F32));
            if (!c.sharedClassifier()) t.add(copy(f, "output.weight", ft));
            GgufTensorWriter.write(out, meta, t);
        }
    }

    /** A tensor copied as floats (converted to {@code type}), its input pages released after reading. */
    private static GgufTensorWriter.Entry copy(GgufFile f, String name, GgmlType type) {
        GgufFile.TensorInfo ti = f.requireTensor(name);
        return new GgufTensorWriter.LazyFloats(name, ti.dims(), type, () -> read(f, ti));
    }

    private static float[] read(GgufFile f, GgufFile.TensorInfo ti) {
        float[] d = f.readFloats(ti);
        f.data(ti).unload();
        return d;
    }

    /** Value and index entries of one linear; the packing runs once, when the values are written. */
    private static void packed(List<GgufTensorWriter.Entry> t, Map<String, GgufValue> meta, GgufFile f, String name, int rows, int cols,
                               int n, int m, GgmlType ft, Runnable done) {
        GgufFile.TensorInfo ti = f.requireTensor(name);
        if (ti.dims().length != 2 || ti.dims()[0] != cols || ti.dims()[1] != rows) {
            throw dev.mixprune.BadInputException.in(f.path(), "tensor '" + name + "' has shape " + ti.shapeString() + ", expected [" + cols + ", " + rows + "]");
        }
        int groups = (cols + m - 1) / m, spr = groups * n, bits = 32 - Integer.numberOfLeadingZeros(m - 1);
        String base = name.substring(0, name.length() - ".weight".length());
        meta.put(PackedGguf.NM_PREFIX + name, GgufValue.ofString(n + ":" + m));
        PackedNM[] held = new PackedNM[1];
        Supplier<float[]> values = () -> {
            Matrix w = new Matrix(rows, cols, read(f, ti));
            held[0] = PackedNM.pack(NmMasks.magnitude(w, n, m), n, m);
            return held[0].values();
        };
        Supplier<byte[]> index = () -> {
            byte[] b = PackedGguf.packIndices(held[0]);
            held[0] = null; // the layer is done: let it be collected
            if (done != null) done.run();
            return b;
        };
        t.add(new GgufTensorWriter.LazyFloats(base + ".nm_values", new long[]{spr, rows}, ft, values));
        t.add(new GgufTensorWriter.LazyBytes(base + ".nm_index", new long[]{PackedGguf.indexRowBytes(spr, bits), rows}, index));
    }
}
