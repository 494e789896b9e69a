package dev.mixprune.io;

import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.BadInputException;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.family.ModelFamily;
import dev.mixprune.model.family.TensorId;
import dev.mixprune.sparse.PackedNM;
import dev.mixprune.sparse.PackedNMQ8;
import dev.mixprune.tensor.LinearWeight;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Packed GGUF (docs/formats.md, "Packed N:M"): a GGUF of the model's family in which a packed
 * linear ({@code blk.L.<name>.weight}) is replaced by two tensors
 * <ul>
 *   <li>{@code blk.L.<name>.nm_values}: F32 or F16, dims [G*N, rows] (the N kept values of every
 *       group of M inputs, groups G = ceil(cols / M)); or, with 8-bit values, Q8_0, dims
 *       [ceil(G*N / 32) * 32, rows]: each row's kept values in ggml Q8_0 blocks of 32 (F16 scale,
 *       32 int8 quants; the last block of a row padded with zero slots);</li>
 *   <li>{@code blk.L.<name>.nm_index}: I8, dims [ceil(G*N*b / 8), rows], each row's in-group
 *       positions as b = ceil(log2 M)-bit fields, little-endian bit order (slot s occupies bits
 *       s*b .. s*b+b-1 of the row, bit 0 = least significant bit of the row's first byte);</li>
 * </ul>
 * with metadata {@code mixprune.packed = true} and {@code mixprune.nm.blk.L.<name>.weight = "N:M"}.
 * Every other tensor is as in a plain GGUF. llama.cpp cannot load it. It is read by
 * {@link MappedBlockSource} (so {@link ModelLoader}) and written by the GGUF block sink with a
 * packed layout ({@link #write}, {@link StreamingPacker}).
 */
public final class PackedGguf {
    private PackedGguf() {}

    public static final String PACKED_KEY = "mixprune.packed";
    public static final String NM_PREFIX = "mixprune.nm.";

    /** N kept of every M consecutive inputs: how one layer is packed. */
    public record Nm(int n, int m) {
        public Nm {
            if (m < 2 || m > 128 || n < 1 || n > m) throw new IllegalArgumentException("N:M = " + n + ":" + m + " is not 1 <= N <= M, 2 <= M <= 128");
        }

        int groups(int cols) { return (cols + m - 1) / m; }
        int slotsPerRow(int cols) { return groups(cols) * n; }
        int bits() { return 32 - Integer.numberOfLeadingZeros(m - 1); }
        int indexRowBytes(int cols) { return PackedGguf.indexRowBytes(slotsPerRow(cols), bits()); }
        /** Slots per row rounded up to whole 32-value blocks (the row length of Q8_0 values). */
        int paddedSlots(int cols) { return (slotsPerRow(cols) + 31) / 32 * 32; }

        @Override public String toString() { return n + ":" + m; }
    }

    /** True when the file declares itself packed ({@code mixprune.packed = true}). */
    public static boolean isPacked(GgufFile f) {
        GgufValue v = f.metadata().get(PACKED_KEY);
        if (v == null) return false;
        if (v.type() != GgufValueType.BOOL) throw BadInputException.in(f.path(), "metadata " + PACKED_KEY + ": expected a bool, found " + v.display());
        return (Boolean) v.value();
    }

    /** The metadata key declaring a layer packed: {@code mixprune.nm.<weight tensor name>}. */
    static String nmKey(ModelFamily fam, int block, LayerKind k) { return NM_PREFIX + fam.ggufName(TensorId.weight(block, k)); }

    // ------------------------------------------------------------------ writing

    /**
     * Writes {@code w} (packed layers as value/index tensor pairs, dense ones as usual) with the
     * metadata of {@link GgufModel#metadataFor} plus the packed keys; stale {@code mixprune.nm.*}
     * keys of {@code passthrough} are dropped. Norms are F32; values and dense weights {@code dtype}.
     */
    public static void write(Path out, LlamaWeights w, Tokenizer tokenizer, Map<String, GgufValue> passthrough, TensorDType dtype) throws IOException {
        Map<LayerId, Nm> layout = new LinkedHashMap<>();
        for (LayerId id : LayerId.all(w.config())) {
            if (w.weight(id) instanceof PackedNM p) layout.put(id, new Nm(p.n(), p.m()));
            if (w.weight(id) instanceof PackedNMQ8 q) layout.put(id, new Nm(q.n(), q.m()));
        }
        Map<String, Object> meta = new LinkedHashMap<>(passthrough == null ? Map.of() : passthrough);
        WeightsBlockSource src = WeightsBlockSource.of(w, tokenizer, meta);
        try (GgufBlockSink sink = new GgufBlockSink(src, out, dtype, layout)) {
            for (int b = 0; b < w.config().nLayers(); b++) sink.accept(b, w.block(b));
            sink.finish();
        }
    }

    /**
     * The packed metadata over {@code meta}: stale packed keys removed first by the caller's
     * passthrough filter, then {@code mixprune.packed} and one {@code mixprune.nm.*} key per packed
     * layer in tensor order.
     */
    static void putMetadata(Map<String, GgufValue> meta, ModelFamily fam, Map<LayerId, Nm> layout) {
        meta.put(PACKED_KEY, GgufValue.ofBool(true));
        layout.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> meta.put(nmKey(fam, e.getKey().block(), e.getKey().kind()), GgufValue.ofString(e.getValue().toString())));
    }

    public static int indexRowBytes(int slotsPerRow, int bits) { return (int) (((long) slotsPerRow * bits + 7) / 8); }

    /** Every row's in-group positions as {@code bits}-bit fields, LSB first, each row starting on a byte. */
    public static byte[] packIndices(PackedNM p) { return packIndices(p.index(), p.rows(), p.slotsPerRow(), p.indexBits()); }

    /** The same for a layer with 8-bit values. */
    public static byte[] packIndices(PackedNMQ8 p) { return packIndices(p.index(), p.rows(), p.slotsPerRow(), p.indexBits()); }

    private static byte[] packIndices(byte[] idx, int rows, int spr, int bits) {
        int rb = indexRowBytes(spr, bits);
        byte[] out = new byte[rows * rb];
        for (int r = 0; r < rows; r++) {
            long bit = (long) r * rb * 8;
            for (int s = 0; s < spr; s++, bit += bits) {
                int v = idx[r * spr + s];
                for (int b = 0; b < bits; b++) if ((v >> b & 1) != 0) out[(int) ((bit + b) >> 3)] |= (byte) (1 << ((bit + b) & 7));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ reading

    /** A packed layer located in a file (shapes checked); {@link #read} decodes it. */
    record Located(Path path, String indexName, Nm nm, int rows, int cols, GgmlType valueType, MemorySegment values, MemorySegment index) {
        /**
         * The layer: {@link PackedNM} with float values, {@link PackedNMQ8} with Q8_0 values;
         * {@code halvesHeads} > 0: the file holds its rows in rotate_half order over that many heads
         * (q/k of NEOX architectures), put back into the interleaved order here.
         */
        LinearWeight read(int halvesHeads) {
            int spr = nm.slotsPerRow(cols), bits = nm.bits(), rb = nm.indexRowBytes(cols), n = nm.n(), m = nm.m();
            MemorySegment values = halvesHeads > 0 ? interleaved(this.values, halvesHeads) : this.values;
            MemorySegment index = halvesHeads > 0 ? interleaved(this.index, halvesHeads) : this.index;
            float[] v = null;
            if (valueType != GgmlType.Q8_0) {
                v = new float[Math.multiplyExact(rows, spr)];
                Dequantize.toFloat(valueType, values, v);
            }
            byte[] idx = new byte[rows * spr];
            for (int r = 0; r < rows; r++) {
                long bit = (long) r * rb * 8;
                for (int s = 0; s < spr; s++, bit += bits) {
                    int x = 0;
                    for (int b = 0; b < bits; b++) {
                        long at = bit + b;
                        if ((index.get(ValueLayout.JAVA_BYTE, at >> 3) >> (at & 7) & 1) != 0) x |= 1 << b;
                    }
                    int g = s / n, len = Math.min(m, cols - g * m);
                    if (x >= len) {
                        throw BadInputException.in(path, "tensor '" + indexName + "' row " + r + " slot " + s + ": in-group index " + x + " is outside group " + g
                                + " of " + len + " inputs");
                    }
                    idx[r * spr + s] = (byte) x;
                }
            }
            LinearWeight w = v == null ? PackedNMQ8.fromQ8Blocks(rows, cols, n, m, values, idx) : new PackedNM(rows, cols, n, m, v, idx);
            if (this.values.isMapped()) this.values.unload();
            if (this.index.isMapped()) this.index.unload();
            return w;
        }

        /** A copy of a tensor whose rows (same byte length each) are in rotate_half order, in the interleaved order. */
        private MemorySegment interleaved(MemorySegment seg, int heads) {
            byte[] raw = seg.toArray(ValueLayout.JAVA_BYTE), out = new byte[raw.length];
            RopePermutation.permuteRows(raw, out, rows, raw.length / rows, heads, false);
            return MemorySegment.ofArray(out);
        }
    }

    /**
     * The N:M of linear {@code k} of block {@code block} if the file declares it packed (its
     * tensors located and their shapes checked against {@code rows x cols}), else null.
     */
    static Located locate(GgufFile f, ModelFamily fam, int block, LayerKind k, int rows, int cols) {
        Path p = f.path();
        String key = nmKey(fam, block, k);
        GgufValue nmv = f.metadata().get(key);
        if (nmv == null) return null;
        if (nmv.type() != GgufValueType.STRING || !nmv.asString().matches("\\d{1,3}:\\d{1,3}")) {
            throw BadInputException.in(p, "metadata " + key + ": expected a string \"N:M\", found " + nmv.display());
        }
        Nm nm;
        try {
            nm = new Nm(Integer.parseInt(nmv.asString().split(":")[0]), Integer.parseInt(nmv.asString().split(":")[1]));
        } catch (IllegalArgumentException e) {
            throw BadInputException.in(p, "metadata " + key + ": " + e.getMessage());
        }
        String weight = fam.ggufName(TensorId.weight(block, k));
        if (f.tensor(weight) != null) throw BadInputException.in(p, "tensor '" + weight + "' is present although " + key + " declares it packed");
        int groups = nm.groups(cols), spr = nm.slotsPerRow(cols), rb = nm.indexRowBytes(cols);
        GgufFile.TensorInfo vt = f.requireTensor(fam.ggufName(TensorId.nmValues(block, k)));
        if (vt.type() != GgmlType.F32 && vt.type() != GgmlType.F16 && vt.type() != GgmlType.BF16 && vt.type() != GgmlType.Q8_0) {
            throw BadInputException.in(p, "tensor '" + vt.name() + "' has type " + vt.type() + ", expected F32, F16, BF16 or Q8_0");
        }
        // Q8_0 values: each row's slots padded to whole 32-value blocks.
        int valueRow = vt.type() == GgmlType.Q8_0 ? nm.paddedSlots(cols) : spr;
        if (vt.dims().length != 2 || vt.dims()[0] != valueRow || vt.dims()[1] != rows) {
            throw BadInputException.in(p, "tensor '" + vt.name() + "' has shape " + vt.shapeString() + ", expected [" + valueRow + ", " + rows + "] (" + nm
                    + " over " + cols + " inputs: " + groups + " groups of " + nm.n() + " slots" + (valueRow != spr ? ", padded to whole Q8_0 blocks" : "") + ")");
        }
        GgufFile.TensorInfo it = f.requireTensor(fam.ggufName(TensorId.nmIndex(block, k)));
        if (it.type() != GgmlType.I8 || it.dims().length != 2 || it.dims()[0] != rb || it.dims()[1] != rows) {
            throw BadInputException.in(p, "tensor '" + it.name() + "' is " + it.type() + " " + it.shapeString() + ", expected I8 [" + rb + ", " + rows + "] ("
                    + spr + " slots of " + nm.bits() + " bits per row)");
        }
        return new Located(p, it.name(), nm, rows, cols, vt.type(), f.data(vt), f.data(it));
    }
}
