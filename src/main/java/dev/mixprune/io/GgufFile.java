package dev.mixprune.io;

import dev.mixprune.BadInputException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF v3 file (ggml docs/gguf.md), memory-mapped with FFM so that files larger than RAM open:
 * only the header is parsed eagerly; tensor data is read (and dequantized to float32) on demand.
 *
 * <p>Every count and length in the header is checked against the bytes left in the file before
 * anything is allocated, so a lying header cannot make the reader allocate more than the file
 * could hold. Close it to unmap.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" read as little-endian u32
    public static final int DEFAULT_ALIGNMENT = 32;
    /** ggml's GGML_MAX_DIMS. */
    public static final int MAX_DIMS = 4;

    /** One tensor's header entry. {@code dims} are fastest-first: dims[0] is the row length (in_features). */
    public record TensorInfo(String name, long[] dims, GgmlType type, long offset, long elements, long bytes) {
        public String shapeString() { return TensorShapes.text(dims); }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment seg;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final Map<String, TensorInfo> tensors;
    private final long alignment;
    private final long dataStart;

    private GgufFile(Path path, Arena arena, MemorySegment seg, int version, Map<String, GgufValue> metadata,
                     Map<String, TensorInfo> tensors, long alignment, long dataStart) {
        this.path = path;
        this.arena = arena;
        this.seg = seg;
        this.version = version;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = Collections.unmodifiableMap(tensors);
        this.alignment = alignment;
        this.dataStart = dataStart;
    }

    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment seg;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
            GgufFile f = parse(path, arena, seg);
            return f;
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment seg) {
        Cursor c = new Cursor(path, seg);
        long size = seg.byteSize();
        if (size < 24) throw BadInputException.at(path, 0, "header", "file has " + size + " bytes, a GGUF header needs at least 24 (truncated?)");
        int magic = c.i32("magic");
        if (magic != MAGIC) {
            throw BadInputException.at(path, 0, "magic", String.format("expected \"GGUF\" (0x%08x), found 0x%08x: not a GGUF file", MAGIC, magic));
        }
        int version = c.i32("version");
        if (version != 3 && version != 2) throw BadInputException.at(path, 4, "version", "expected GGUF version 3 (or 2), found " + version);
        long nTensors = c.count("tensor_count", 8 + 4 + 8 + 4 + 8); // smallest tensor info: empty name, 1 dim, type, offset
        long nKv = c.count("metadata_kv_count", 8 + 4 + 1);
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            long at = c.pos;
            String key = c.string("metadata key #" + i);
            long typeAt = c.pos;
            long tid = Integer.toUnsignedLong(c.i32("type of '" + key + "'"));
            GgufValueType t = GgufValueType.byId(tid);
            if (t == null) throw BadInputException.at(path, typeAt, "type of metadata '" + key + "'", "unknown value type " + tid + ", expected 0..12");
            GgufValue v = c.value(t, key);
            if (meta.put(key, v) != null) throw BadInputException.at(path, at, "metadata key '" + key + "'", "duplicate key");
        }
        long alignment = DEFAULT_ALIGNMENT;
        GgufValue al = meta.get("general.alignment");
        if (al != null) {
            if (!al.type().isInteger()) throw BadInputException.in(path, "metadata general.alignment: expected an integer, found " + al.type());
            alignment = al.asLong();
            if (alignment <= 0 || alignment > (1 << 30) || Long.bitCount(alignment) != 1) {
                throw BadInputException.in(path, "metadata general.alignment: expected a power of two, found " + alignment);
            }
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (long i = 0; i < nTensors; i++) {
            long at = c.pos;
            String name = c.string("tensor #" + i + " name");
            long nd = Integer.toUnsignedLong(c.i32("n_dimensions of tensor '" + name + "'"));
            if (nd < 1 || nd > MAX_DIMS) throw BadInputException.at(path, c.pos - 4, "n_dimensions of tensor '" + name + "'", "expected 1.." + MAX_DIMS + ", found " + nd);
            long[] dims = new long[(int) nd];
            long elements = 1;
            for (int d = 0; d < nd; d++) {
                dims[d] = c.i64("dimension " + d + " of tensor '" + name + "'");
                if (dims[d] <= 0) throw BadInputException.at(path, c.pos - 8, "dimension " + d + " of tensor '" + name + "'", "expected > 0, found " + Long.toUnsignedString(dims[d]));
                // Even the densest ggml type (Q2_K) needs more than 1/8 byte per element.
                if (dims[d] > 8 * size || (elements = multiplyOrMax(elements, dims[d])) > 8 * size) {
                    throw BadInputException.at(path, c.pos - 8, "dimensions of tensor '" + name + "'", "shape implies more elements than the file of " + size + " bytes could hold");
                }
            }
            long typeAt = c.pos;
            long tid = Integer.toUnsignedLong(c.i32("type of tensor '" + name + "'"));
            GgmlType type = GgmlType.byId(tid);
            if (type == null) throw BadInputException.at(path, typeAt, "type of tensor '" + name + "'", "unknown ggml tensor type " + tid + "; known: " + GgmlType.supportedList());
            if (dims[0] % type.blockElements() != 0) {
                throw BadInputException.at(path, typeAt, "type of tensor '" + name + "'", "row length " + dims[0] + " is not a multiple of the " + type + " block size " + type.blockElements());
            }
            long bytes = type.bytesFor(elements);
            if (bytes < 0) throw BadInputException.at(path, typeAt, "type of tensor '" + name + "'", elements + " elements are not a whole number of " + type + " blocks of " + type.blockElements());
            long offset = c.i64("offset of tensor '" + name + "'");
            if (tensors.put(name, new TensorInfo(name, dims, type, offset, elements, bytes)) != null) {
                throw BadInputException.at(path, at, "tensor '" + name + "'", "duplicate tensor name");
            }
        }
        long dataStart = alignUp(c.pos, alignment);
        for (TensorInfo t : tensors.values()) {
            if (Long.remainderUnsigned(t.offset(), alignment) != 0) {
                throw BadInputException.in(path, "tensor '" + t.name() + "': data offset " + Long.toUnsignedString(t.offset()) + " is not a multiple of the alignment " + alignment);
            }
            long end = t.offset() < 0 ? Long.MAX_VALUE : dataStart + t.offset() + t.bytes();
            if (end > size || end < 0) {
                throw BadInputException.in(path, "tensor '" + t.name() + "' (" + t.type() + " " + t.shapeString() + ", " + t.bytes() + " bytes at data offset "
                        + Long.toUnsignedString(t.offset()) + ") ends at byte " + (end == Long.MAX_VALUE ? "beyond 2^63" : end) + ", but the file has " + size
                        + " bytes (truncated, or header inconsistent with the file size)");
            }
        }
        checkLayout(path, tensors.values(), alignment, size - dataStart);
        return new GgufFile(path, arena, seg, version, meta, tensors, alignment, dataStart);
    }

    /**
     * Tensor data must tile the data section: in offset order each tensor starts where the previous
     * one ended, rounded up to the alignment (how llama.cpp writes, and what its reader requires), and
     * nothing but that padding follows the last one. This refuses a tensor that points into another's
     * bytes and a tensor whose type was relabelled (F32 marked F16 leaves bytes nobody owns).
     */
    static void checkLayout(Path path, java.util.Collection<TensorInfo> tensors, long alignment, long dataBytes) {
        List<TensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.sort(java.util.Comparator.comparingLong(TensorInfo::offset));
        long expected = 0;
        TensorInfo previous = null;
        for (TensorInfo t : byOffset) {
            if (t.offset() != expected) {
                String what = previous == null ? "the data section starts" : "tensor '" + previous.name() + "' (" + previous.type() + " "
                        + previous.shapeString() + ", " + previous.bytes() + " bytes at data offset " + previous.offset() + ") ends, aligned to " + alignment;
                throw BadInputException.in(path, "tensor '" + t.name() + "' (" + t.type() + " " + t.shapeString() + ") starts at data offset " + t.offset()
                        + ", expected " + expected + " where " + what + " (" + (t.offset() < expected ? "overlapping tensor data" : "bytes unaccounted for: a wrong type or shape?")
                        + ")");
            }
            expected = alignUp(t.offset() + t.bytes(), alignment);
            previous = t;
        }
        if (previous != null && dataBytes > expected) {
            throw BadInputException.in(path, (dataBytes - expected) + " bytes after the last tensor '" + previous.name() + "' (" + previous.type() + " "
                    + previous.shapeString() + ") are unaccounted for (a wrong type or shape, or trailing data)");
        }
    }

    private static long multiplyOrMax(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    static long alignUp(long x, long a) { return (x + a - 1) / a * a; }

    public Path path() { return path; }
    public int version() { return version; }
    /** Every metadata key/value in file order. */
    public Map<String, GgufValue> metadata() { return metadata; }
    /** Every tensor info in file order. */
    public Map<String, TensorInfo> tensors() { return tensors; }
    public long alignment() { return alignment; }
    public long dataStart() { return dataStart; }

    public TensorInfo tensor(String name) { return tensors.get(name); }

    public TensorInfo requireTensor(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw BadInputException.in(path, "missing tensor '" + name + "' (the file has " + tensors.size() + " tensors)");
        return t;
    }

    public GgufValue requireMeta(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) throw BadInputException.in(path, "missing metadata key '" + key + "'");
        return v;
    }

    /** The raw bytes of a tensor (a view into the mapping, valid until close). */
    public MemorySegment data(TensorInfo t) { return seg.asSlice(dataStart + t.offset(), t.bytes()); }

    /** Dequantizes a whole tensor to float32. */
    public float[] readFloats(TensorInfo t) {
        if (t.elements() > Integer.MAX_VALUE - 8) throw BadInputException.in(path, "tensor '" + t.name() + "' has " + t.elements() + " elements, too many for one float array");
        if (!t.type().canDequantize()) {
            throw BadInputException.in(path, "tensor '" + t.name() + "' has type " + t.type() + "; this reader dequantizes only F32, F16, BF16 and Q8_0");
        }
        float[] out = new float[(int) t.elements()];
        Dequantize.toFloat(t.type(), data(t), out);
        return out;
    }

    @Override public void close() { arena.close(); }

    /** Bounds-checked little-endian reader over the mapping; errors name file, offset and field. */
    private static final class Cursor {
        private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        final Path path;
        final MemorySegment seg;
        long pos;

        Cursor(Path path, MemorySegment seg) { this.path = path; this.seg = seg; }

        long remaining() { return seg.byteSize() - pos; }

        void need(long n, String field) {
            if (n > remaining()) {
                throw BadInputException.at(path, pos, field, "needs " + n + " bytes but the file ends after " + remaining() + " (truncated file)");
            }
        }

        int i32(String field) { need(4, field); int v = seg.get(I32, pos); pos += 4; return v; }
        long i64(String field) { need(8, field); long v = seg.get(I64, pos); pos += 8; return v; }

        /** A u64 count whose items need at least {@code minItemBytes} each: rejected if the rest of the file cannot hold them. */
        long count(String field, long minItemBytes) {
            long at = pos;
            long n = i64(field);
            if (n < 0 || n > remaining() / minItemBytes) {
                throw BadInputException.at(path, at, field, "value " + Long.toUnsignedString(n) + " is impossible: " + remaining()
                        + " bytes remain and each item needs at least " + minItemBytes + " (truncated file, or lying/corrupt header)");
            }
            return n;
        }

        String string(String field) {
            long at = pos;
            long n = i64(field + " length");
            if (n < 0 || n > remaining()) {
                throw BadInputException.at(path, at, field + " length", "string length " + Long.toUnsignedString(n) + " exceeds the " + remaining() + " bytes left");
            }
            if (n > Integer.MAX_VALUE - 8) throw BadInputException.at(path, at, field + " length", "string of " + n + " bytes is too long");
            byte[] b = seg.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
            pos += n;
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                throw BadInputException.at(path, at + 8, field, "string is not valid UTF-8");
            }
        }

        GgufValue value(GgufValueType t, String key) {
            String f = "value of '" + key + "'";
            return switch (t) {
                case UINT8 -> { need(1, f); yield new GgufValue(t, (long) (seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xff)); }
                case INT8 -> { need(1, f); yield new GgufValue(t, (long) seg.get(ValueLayout.JAVA_BYTE, pos++)); }
                case UINT16 -> { need(2, f); long v = seg.get(I16, pos) & 0xffff; pos += 2; yield new GgufValue(t, v); }
                case INT16 -> { need(2, f); long v = seg.get(I16, pos); pos += 2; yield new GgufValue(t, v); }
                case UINT32 -> new GgufValue(t, Integer.toUnsignedLong(i32(f)));
                case INT32 -> new GgufValue(t, (long) i32(f));
                case UINT64, INT64 -> new GgufValue(t, i64(f));
                case FLOAT32 -> { need(4, f); float v = seg.get(F32, pos); pos += 4; yield new GgufValue(t, v); }
                case FLOAT64 -> { need(8, f); double v = seg.get(F64, pos); pos += 8; yield new GgufValue(t, v); }
                case BOOL -> {
                    need(1, f);
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos);
                    if (b != 0 && b != 1) throw BadInputException.at(path, pos, f, "bool must be 0 or 1, found " + b);
                    pos++;
                    yield new GgufValue(t, b == 1);
                }
                case STRING -> new GgufValue(t, string(f));
                case ARRAY -> new GgufValue(t, array(key));
            };
        }

        GgufValue.Array array(String key) {
            String f = "array '" + key + "'";
            long typeAt = pos;
            long tid = Integer.toUnsignedLong(i32(f + " element type"));
            GgufValueType et = GgufValueType.byId(tid);
            if (et == null) throw BadInputException.at(path, typeAt, f + " element type", "unknown value type " + tid + ", expected 0..12");
            long at = pos;
            long count = count(f + " length", et.minBytes()); // bounded by the bytes left in the file
            if (count > Integer.MAX_VALUE - 8) throw BadInputException.at(path, at, f + " length", count + " elements are too many for one array");
            int n = (int) count;
            Object values = switch (et) {
                case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> {
                    long[] a = new long[n];
                    for (int i = 0; i < n; i++) a[i] = value(et, key).asLong();
                    yield a;
                }
                case FLOAT32 -> {
                    float[] a = new float[n];
                    for (int i = 0; i < n; i++) a[i] = (Float) value(et, key).value();
                    yield a;
                }
                case FLOAT64 -> {
                    double[] a = new double[n];
                    for (int i = 0; i < n; i++) a[i] = (Double) value(et, key).value();
                    yield a;
                }
                case BOOL -> {
                    boolean[] a = new boolean[n];
                    for (int i = 0; i < n; i++) a[i] = (Boolean) value(et, key).value();
                    yield a;
                }
                case STRING -> {
                    String[] a = new String[n];
                    for (int i = 0; i < n; i++) a[i] = string(f + " element " + i);
                    yield a;
                }
                case ARRAY -> {
                    GgufValue[] a = new GgufValue[n];
                    for (int i = 0; i < n; i++) a[i] = new GgufValue(GgufValueType.ARRAY, array(key + "[" + i + "]"));
                    yield a;
                }
            };
            return new GgufValue.Array(et, values);
        }
    }

    /** For inspection: a list of tensor infos in file order. */
    public List<TensorInfo> tensorList() { return new ArrayList<>(tensors.values()); }
}
