package dev.mixprune.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.BadInputException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@code .safetensors} file: u64 LE header size N, N bytes of JSON
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}}, then the
 * raw little-endian data (offsets relative to byte 8 + N). Memory-mapped; tensors are converted
 * to float32 on demand (F32, F16, BF16).
 */
public final class SafetensorsFile implements AutoCloseable {
    /** One tensor entry; {@code shape} is outermost-first as in PyTorch ([out, in] for a weight). */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long elements() { return TensorShapes.elements(shape); }

        public String shapeString() { return TensorShapes.text(shape); }
    }

    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(
            Map.entry("F64", 8), Map.entry("F32", 4), Map.entry("F16", 2), Map.entry("BF16", 2), Map.entry("I64", 8), Map.entry("I32", 4),
            Map.entry("I16", 2), Map.entry("I8", 1), Map.entry("U8", 1), Map.entry("U16", 2), Map.entry("U32", 4), Map.entry("U64", 8),
            Map.entry("BOOL", 1), Map.entry("F8_E4M3", 1), Map.entry("F8_E5M2", 1));

    private final Path path;
    private final Arena arena;
    private final MemorySegment seg;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment seg, long dataStart, Map<String, Entry> entries, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.seg = seg;
        this.dataStart = dataStart;
        this.entries = Collections.unmodifiableMap(entries);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment seg;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
            return parse(path, arena, seg);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, Arena arena, MemorySegment seg) {
        long size = seg.byteSize();
        if (size < 8) throw BadInputException.at(path, 0, "header size", "file has " + size + " bytes, a safetensors file needs at least 8 (truncated?)");
        long n = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 2 || n > size - 8 || n > Integer.MAX_VALUE - 8) {
            throw BadInputException.at(path, 0, "header size", "JSON header of " + Long.toUnsignedString(n) + " bytes cannot fit in the " + (size - 8)
                    + " bytes after it (truncated file, wrong format, or lying header)");
        }
        byte[] json = seg.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        if (json[0] != '{') throw BadInputException.at(path, 8, "header", "expected a JSON object starting with '{' (wrong magic: not a safetensors file)");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw BadInputException.at(path, 8, "header", "invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw BadInputException.at(path, 8, "header", "unreadable JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw BadInputException.at(path, 8, "header", "expected a JSON object");
        long dataStart = 8 + n;
        long dataSize = size - dataStart;
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw BadInputException.in(path, "header field __metadata__: expected an object of strings");
                v.fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            String f = "header tensor '" + name + "'";
            if (!v.isObject() || !v.path("dtype").isTextual() || !v.path("shape").isArray() || !v.path("data_offsets").isArray() || v.path("data_offsets").size() != 2) {
                throw BadInputException.in(path, f + ": expected {dtype: string, shape: [ints], data_offsets: [begin, end]}");
            }
            String dtype = v.get("dtype").asText();
            Integer eb = DTYPE_BYTES.get(dtype);
            if (eb == null) throw BadInputException.in(path, f + ": unknown dtype '" + dtype + "', expected one of " + DTYPE_BYTES.keySet());
            JsonNode sh = v.get("shape");
            long[] shape = new long[sh.size()];
            long elements = 1;
            for (int i = 0; i < shape.length; i++) {
                if (!sh.get(i).canConvertToLong() || sh.get(i).asLong() < 0) throw BadInputException.in(path, f + ": shape[" + i + "] must be a non-negative integer, found " + sh.get(i));
                shape[i] = sh.get(i).asLong();
                // Every dtype takes at least one byte per element, so no non-empty tensor can have more elements than data bytes.
                try {
                    elements = Math.multiplyExact(elements, shape[i]);
                } catch (ArithmeticException overflow) {
                    elements = Long.MAX_VALUE;
                }
                if (shape[i] > dataSize && elements != 0) throw BadInputException.in(path, f + ": shape " + sh + " cannot fit in the file's " + dataSize + " data bytes");
            }
            JsonNode off = v.get("data_offsets");
            if (!off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) throw BadInputException.in(path, f + ": data_offsets must be integers");
            long begin = off.get(0).asLong(), end = off.get(1).asLong();
            if (begin < 0 || end < begin || end > dataSize) {
                throw BadInputException.in(path, f + ": data_offsets [" + begin + ", " + end + "] lie outside the " + dataSize
                        + " data bytes (truncated file or header inconsistent with size)");
            }
            if (elements == Long.MAX_VALUE || elements > dataSize || elements * eb != end - begin) {
                throw BadInputException.in(path, f + ": shape " + sh + " of " + dtype + " needs " + (elements == Long.MAX_VALUE ? "more than 2^63" : elements * eb)
                        + " bytes, data_offsets span " + (end - begin) + " (header inconsistent)");
            }
            entries.put(name, new Entry(name, dtype, shape, begin, end));
        }
        checkCoverage(path, entries.values(), dataSize);
        return new SafetensorsFile(path, arena, seg, dataStart, entries, meta);
    }

    /**
     * The safetensors format requires the byte buffer to be entirely indexed without holes: in
     * offset order each tensor begins where the previous one ended and the last ends at the end of
     * the file. This refuses overlapping tensors and bytes nobody owns (a polyglot or damaged file).
     */
    static void checkCoverage(Path path, java.util.Collection<Entry> entries, long dataSize) {
        java.util.List<Entry> byOffset = new java.util.ArrayList<>(entries);
        byOffset.sort(java.util.Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        Entry previous = null;
        for (Entry e : byOffset) {
            if (e.begin() != expected) {
                throw BadInputException.in(path, "header tensor '" + e.name() + "': data_offsets [" + e.begin() + ", " + e.end() + "] should begin at " + expected
                        + (previous == null ? ", the start of the data" : ", where '" + previous.name() + "' ends")
                        + (e.begin() < expected ? " (overlapping tensor data)" : " (bytes unaccounted for)"));
            }
            expected = e.end();
            previous = e;
        }
        if (expected != dataSize) {
            throw BadInputException.in(path, (dataSize - expected) + " data bytes after the last tensor" + (previous == null ? "" : " '" + previous.name() + "'")
                    + " are unaccounted for (the format forbids holes; truncated header or trailing data)");
        }
    }

    public Path path() { return path; }
    public Map<String, Entry> entries() { return entries; }
    public Map<String, String> metadata() { return metadata; }
    public Entry entry(String name) { return entries.get(name); }

    public MemorySegment data(Entry e) { return seg.asSlice(dataStart + e.begin(), e.end() - e.begin()); }

    /** The tensor as float32 (F32, F16 and BF16 only). */
    public float[] readFloats(Entry e) {
        GgmlType t = switch (e.dtype()) {
            case "F32" -> GgmlType.F32;
            case "F16" -> GgmlType.F16;
            case "BF16" -> GgmlType.BF16;
            default -> throw BadInputException.in(path, "tensor '" + e.name() + "' has dtype " + e.dtype() + "; only F32, F16 and BF16 can be read");
        };
        if (e.elements() > Integer.MAX_VALUE - 8) throw BadInputException.in(path, "tensor '" + e.name() + "' has too many elements for one array");
        float[] out = new float[(int) e.elements()];
        Dequantize.toFloat(t, data(e), out);
        return out;
    }

    @Override public void close() { arena.close(); }
}
