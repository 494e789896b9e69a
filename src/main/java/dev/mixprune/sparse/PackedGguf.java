package dev.mixprune.sparse;

import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.io.GgufTensorWriter;

import dev.mixprune.BadInputException;
import dev.mixprune.io.GgmlType;
import dev.mixprune.io.GgufFile;
import dev.mixprune.io.GgufLlama;
import dev.mixprune.io.GgufValue;
import dev.mixprune.io.GgufValueType;
import dev.mixprune.io.TensorDType;
import dev.mixprune.tokenizer.Vocabulary;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Packed GGUF (docs/formats.md, "Packed N:M"): a LLaMA GGUF in which a packed linear
 * {@code blk.L.<name>.weight} is replaced by two tensors
 * <ul>
 *   <li>{@code blk.L.<name>.nm_values}: F32 or F16, dims [G*N, rows] (the N kept values of every
 *       group of M inputs, groups G = ceil(cols / M));</li>
 *   <li>{@code blk.L.<name>.nm_index}: I8, dims [ceil(G*N*b / 8), rows], each row's in-group
 *       positions as b = ceil(log2 M)-bit fields, little-endian bit order (slot s occupies bits
 *       s*b .. s*b+b-1 of the row, bit 0 = least significant bit of the row's first byte);</li>
 * </ul>
 * with metadata {@code mixprune.packed = true} and {@code mixprune.nm.blk.L.<name>.weight = "N:M"}.
 * Every other tensor is as in a plain GGUF. llama.cpp cannot load it; mixprune reads it through
 * {@code io.ModelLoader}.
 */
public final class PackedGguf {
    private PackedGguf() {}

    public static final String PACKED_KEY = "mixprune.packed";
    public static final String NM_PREFIX = "mixprune.nm.";

    /** True when the file declares itself packed ({@code mixprune.packed = true}). */
    public static boolean isPacked(GgufFile f) {
        GgufValue v = f.metadata().get(PACKED_KEY);
        if (v == null) return false;
        if (v.type() != GgufValueType.BOOL) throw BadInputException.in(f.path(), "metadata " + PACKED_KEY + ": expected a bool, found " + v.display());
        return (Boolean) v.value();
    }

    /** Tensor name of a linear as GGUF stores it, e.g. blk.3.attn_q.weight. */
    public static String weightName(int block, LayerKind k) { return "blk." + block + "." + GgufLlama.tensorName(k) + ".weight"; }

    private static String baseName(String weightName) { return weightName.substring(0, weightName.length() - ".weight".length()); }

    // ------------------------------------------------------------------ writing

    /**
     * Writes {@code w} (packed layers as value/index tensor pairs, dense ones as usual) with the
     * metadata of {@link GgufLlama#metadataFor} plus the packed keys; stale {@code mixprune.nm.*}
     * keys of {@code passthrough} are dropped. Norms are F32; values and dense weights {@code dtype}.
     */
    public static void write(Path out, LlamaWeights w, Tokenizer tokenizer, Map<String, GgufValue> passthrough, TensorDType dtype) throws IOException {
        LlamaConfig c = w.config();
        Map<String, GgufValue> pass = new LinkedHashMap<>(passthrough == null ? Map.of() : passthrough);
        pass.keySet().removeIf(k -> k.startsWith(NM_PREFIX) || k.equals(PACKED_KEY));
        Map<String, GgufValue> meta = GgufLlama.metadataFor(c, tokenizer, pass, dtype);
        meta.put(PACKED_KEY, GgufValue.ofBool(true));
        GgmlType ft = dtype == TensorDType.F32 ? GgmlType.F32 : GgmlType.F16;
        List<GgufTensorWriter.Entry> t = new ArrayList<>();
        t.add(dense("token_embd.weight", w.tokenEmbedding(), ft));
        for (int l = 0; l < c.nLayers(); l++) {
            BlockWeights b = w.block(l);
            String p = "blk." + l + ".";
            t.add(new GgufTensorWriter.Floats(p + "attn_norm.weight", new long[]{c.dim()}, GgmlType.F32, b.attNorm()));
            for (LayerKind k : new LayerKind[]{LayerKind.WQ, LayerKind.WK, LayerKind.WV, LayerKind.WO}) linear(t, meta, weightName(l, k), b.weight(k), ft);
            t.add(new GgufTensorWriter.Floats(p + "ffn_norm.weight", new long[]{c.dim()}, GgmlType.F32, b.ffnNorm()));
            for (LayerKind k : new LayerKind[]{LayerKind.W1, LayerKind.W2, LayerKind.W3}) linear(t, meta, weightName(l, k), b.weight(k), ft);
        }
        t.add(new GgufTensorWriter.Floats("output_norm.weight", new long[]{c.dim()}, GgmlType.F32, w.finalNorm()));
        if (!c.sharedClassifier()) t.add(dense("output.weight", w.classifier(), ft));
        GgufTensorWriter.write(out, meta, t);
    }

    private static GgufTensorWriter.Floats dense(String name, Matrix m, GgmlType ft) {
        return new GgufTensorWriter.Floats(name, new long[]{m.cols(), m.rows()}, ft, m.data());
    }

    private static void linear(List<GgufTensorWriter.Entry> t, Map<String, GgufValue> meta, String name, LinearWeight w, GgmlType ft) {
        switch (w) {
            case Matrix m -> t.add(dense(name, m, ft));
            case PackedNM p -> {
                String base = baseName(name);
                meta.put(NM_PREFIX + name, GgufValue.ofString(p.n() + ":" + p.m()));
                t.add(new GgufTensorWriter.Floats(base + ".nm_values", new long[]{p.slotsPerRow(), p.rows()}, ft, p.values()));
                t.add(new GgufTensorWriter.Bytes(base + ".nm_index", new long[]{indexRowBytes(p.slotsPerRow(), p.indexBits()), p.rows()}, packIndices(p)));
            }
            default -> throw new IllegalStateException("unknown weight storage " + w.getClass().getName());
        }
    }

    static int indexRowBytes(int slotsPerRow, int bits) { return (int) (((long) slotsPerRow * bits + 7) / 8); }

    /** Every row's in-group positions as {@code bits}-bit fields, LSB first, each row starting on a byte. */
    static byte[] packIndices(PackedNM p) {
        int spr = p.slotsPerRow(), bits = p.indexBits(), rb = indexRowBytes(spr, bits);
        byte[] out = new byte[p.rows() * rb];
        byte[] idx = p.index();
        for (int r = 0; r < p.rows(); r++) {
            long bit = (long) r * rb * 8;
            for (int s = 0; s < spr; s++, bit += bits) {
                int v = idx[r * spr + s];
                for (int b = 0; b < bits; b++) if ((v >> b & 1) != 0) out[(int) ((bit + b) >> 3)] |= (byte) (1 << ((bit + b) & 7));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ reading

    /** The weights of a packed GGUF: packed layers as {@link PackedNM}, the rest dense. */
    public static LlamaWeights weights(GgufFile f) {
        LlamaConfig c = GgufLlama.config(f);
        Matrix emb = matrix(f, "token_embd.weight", c.vocabSize(), c.dim());
        List<BlockWeights> blocks = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            EnumMap<LayerKind, LinearWeight> lin = new EnumMap<>(LayerKind.class);
            for (LayerKind k : LayerKind.values()) {
                String name = weightName(l, k);
                GgufValue nm = f.metadata().get(NM_PREFIX + name);
                lin.put(k, nm == null ? matrix(f, name, c.rowsOf(k), c.colsOf(k)) : packed(f, name, nm, c.rowsOf(k), c.colsOf(k)));
            }
            blocks.add(new BlockWeights(vector(f, "blk." + l + ".attn_norm.weight", c.dim()), vector(f, "blk." + l + ".ffn_norm.weight", c.dim()), lin, l));
        }
        float[] norm = vector(f, "output_norm.weight", c.dim());
        Matrix cls = c.sharedClassifier() ? emb : matrix(f, "output.weight", c.vocabSize(), c.dim());
        return new LlamaWeights(c, emb, blocks, norm, cls);
    }

    private static PackedNM packed(GgufFile f, String name, GgufValue nm, int rows, int cols) {
        Path p = f.path();
        String key = NM_PREFIX + name;
        if (nm.type() != GgufValueType.STRING || !nm.asString().matches("\\d{1,3}:\\d{1,3}")) {
            throw BadInputException.in(p, "metadata " + key + ": expected a string \"N:M\", found " + nm.display());
        }
        int n = Integer.parseInt(nm.asString().split(":")[0]), m = Integer.parseInt(nm.asString().split(":")[1]);
        if (m < 2 || m > 128 || n < 1 || n > m) throw BadInputException.in(p, "metadata " + key + ": N:M = " + n + ":" + m + " is not 1 <= N <= M, 2 <= M <= 128");
        if (f.tensor(name) != null) throw BadInputException.in(p, "tensor '" + name + "' is present although " + key + " declares it packed");
        String base = baseName(name);
        int groups = (cols + m - 1) / m, spr = groups * n, bits = 32 - Integer.numberOfLeadingZeros(m - 1), rb = indexRowBytes(spr, bits);
        GgufFile.TensorInfo vt = f.requireTensor(base + ".nm_values");
        if (vt.dims().length != 2 || vt.dims()[0] != spr || vt.dims()[1] != rows) {
            throw BadInputException.in(p, "tensor '" + vt.name() + "' has shape " + vt.shapeString() + ", expected [" + spr + ", " + rows + "] (" + n + ":" + m
                    + " over " + cols + " inputs: " + groups + " groups of " + n + " slots)");
        }
        if (vt.type() != GgmlType.F32 && vt.type() != GgmlType.F16 && vt.type() != GgmlType.BF16) {
            throw BadInputException.in(p, "tensor '" + vt.name() + "' has type " + vt.type() + ", expected F32, F16 or BF16");
        }
        GgufFile.TensorInfo it = f.requireTensor(base + ".nm_index");
        if (it.type() != GgmlType.I8 || it.dims().length != 2 || it.dims()[0] != rb || it.dims()[1] != rows) {
            throw BadInputException.in(p, "tensor '" + it.name() + "' is " + it.type() + " " + it.shapeString() + ", expected I8 [" + rb + ", " + rows + "] ("
                    + spr + " slots of " + bits + " bits per row)");
        }
        float[] values = f.readFloats(vt);
        MemorySegment raw = f.data(it);
        byte[] idx = new byte[rows * spr];
        for (int r = 0; r < rows; r++) {
            long bit = (long) r * rb * 8;
            for (int s = 0; s < spr; s++, bit += bits) {
                int v = 0;
                for (int b = 0; b < bits; b++) {
                    long at = bit + b;
                    if ((raw.get(ValueLayout.JAVA_BYTE, at >> 3) >> (at & 7) & 1) != 0) v |= 1 << b;
                }
                int g = s / n, len = Math.min(m, cols - g * m);
                if (v >= len) {
                    throw BadInputException.in(p, "tensor '" + it.name() + "' row " + r + " slot " + s + ": in-group index " + v + " is outside group " + g
                            + " of " + len + " inputs");
                }
                idx[r * spr + s] = (byte) v;
            }
        }
        return new PackedNM(rows, cols, n, m, values, idx);
    }

    private static Matrix matrix(GgufFile f, String name, int rows, int cols) {
        GgufFile.TensorInfo t = f.requireTensor(name);
        if (t.dims().length != 2 || t.dims()[0] != cols || t.dims()[1] != rows) {
            throw BadInputException.in(f.path(), "tensor '" + name + "' has shape " + t.shapeString() + ", expected [" + cols + ", " + rows + "]");
        }
        return new Matrix(rows, cols, f.readFloats(t));
    }

    private static float[] vector(GgufFile f, String name, int len) {
        GgufFile.TensorInfo t = f.requireTensor(name);
        if (t.dims().length != 1 || t.dims()[0] != len) throw BadInputException.in(f.path(), "tensor '" + name + "' has shape " + t.shapeString() + ", expected [" + len + "]");
        return f.readFloats(t);
    }
}
