package dev.mixprune.io;


import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The GGUF v3 writer: tensors of float (F32/F16/Q8_0/Q4_0) and raw byte (I8) data, given or produced lazily
 * (packed N:M models store their in-group indices as byte tensors; {@link GgufWriter} is the float
 * front end).
 * Streams through a small buffer into {@link AtomicFiles}. Lazy entries produce their data only
 * when their turn comes, so a model larger than memory can be written tensor by tensor (their
 * shapes, hence the header, must be known up front).
 */
public final class GgufTensorWriter {
    private GgufTensorWriter() {}

    /** One tensor; {@code dims} fastest-first as GGUF lists them. */
    public sealed interface Entry permits Floats, Bytes, LazyFloats, LazyBytes {
        String name();
        long[] dims();
        GgmlType type();
        long bytes();
    }

    /** Float data stored as F32, F16, Q8_0 or Q4_0 (quantized: rows of whole 32-value blocks). */
    public record Floats(String name, long[] dims, GgmlType type, float[] data) implements Entry {
        public Floats {
            checkFloatType(name, dims, type);
            if (product(dims) != data.length) throw new IllegalArgumentException("tensor " + name + ": dims imply " + product(dims) + " values, data has " + data.length);
        }
        public long bytes() { return type.bytesFor(data.length); }
    }

    private static void checkFloatType(String name, long[] dims, GgmlType type) {
        switch (type) {
            case F32, F16 -> { }
            case Q8_0, Q4_0 -> {
                if (dims[0] % type.blockElements() != 0) throw new IllegalArgumentException(name + ": rows of " + dims[0] + " values are not whole " + type + " blocks");
            }
            default -> throw new IllegalArgumentException(name + ": float tensors are F32, F16, Q8_0 or Q4_0, not " + type);
        }
    }

    /** Raw bytes stored as I8. */
    public record Bytes(String name, long[] dims, byte[] data) implements Entry {
        public Bytes {
            if (product(dims) != data.length) throw new IllegalArgumentException("tensor " + name + ": dims imply " + product(dims) + " bytes, data has " + data.length);
        }
        public GgmlType type() { return GgmlType.I8; }
        public long bytes() { return data.length; }
    }

    /** Float data produced when written (F32, F16, Q8_0 or Q4_0). */
    public record LazyFloats(String name, long[] dims, GgmlType type, java.util.function.Supplier<float[]> data) implements Entry {
        public LazyFloats {
            checkFloatType(name, dims, type);
        }
        public long bytes() { return type.bytesFor(product(dims)); }
    }

    /** Raw bytes (I8) produced when written. */
    public record LazyBytes(String name, long[] dims, java.util.function.Supplier<byte[]> data) implements Entry {
        public GgmlType type() { return GgmlType.I8; }
        public long bytes() { return product(dims); }
    }

    private static long product(long[] dims) {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    /** The alignment a writer uses for {@code meta}: general.alignment if present, else 32. */
    static long alignment(Map<String, GgufValue> meta) {
        return meta.containsKey("general.alignment") ? meta.get("general.alignment").asLong() : GgufFile.DEFAULT_ALIGNMENT;
    }

    /** Data-section offsets of the tensors, each aligned (shapes and types are all a header needs). */
    static long[] offsets(List<? extends Entry> tensors, long alignment) {
        long[] offsets = new long[tensors.size()];
        long off = 0;
        for (int i = 0; i < tensors.size(); i++) {
            offsets[i] = off;
            off = GgufFile.alignUp(off + tensors.get(i).bytes(), alignment);
        }
        return offsets;
    }

    /**
     * Writes the header (magic, version, counts, metadata, tensor infos) and the padding before the
     * data section; returns the data section's start. Shared by {@link #write} and the streaming
     * block sink, which writes the tensors' data itself as they are produced.
     */
    static long writeHeader(LeOutput o, Map<String, GgufValue> meta, List<? extends Entry> tensors, long[] offsets, long alignment) throws IOException {
        o.i32(GgufFile.MAGIC);
        o.i32(3);
        o.i64(tensors.size());
        o.i64(meta.size());
        for (Map.Entry<String, GgufValue> e : meta.entrySet()) {
            o.ggufString(e.getKey());
            o.i32(e.getValue().type().id());
            GgufWriter.writeValue(o, e.getValue());
        }
        for (int i = 0; i < tensors.size(); i++) {
            Entry t = tensors.get(i);
            o.ggufString(t.name());
            o.i32(t.dims().length);
            for (long d : t.dims()) o.i64(d);
            o.i32(t.type().id());
            o.i64(offsets[i]);
        }
        o.padTo(alignment);
        return o.position();
    }

    public static void write(Path out, Map<String, GgufValue> meta, List<? extends Entry> tensors) throws IOException {
        long alignment = alignment(meta);
        long[] offsets = offsets(tensors, alignment);
        AtomicFiles.writeStream(out, os -> {
            LeOutput o = new LeOutput(os);
            long dataStart = writeHeader(o, meta, tensors, offsets, alignment);
            for (int i = 0; i < tensors.size(); i++) {
                Entry t = tensors.get(i);
                if (o.position() != dataStart + offsets[i]) throw new IllegalStateException("GGUF writer lost its position at tensor " + t.name());
                switch (t) {
                    case Floats f -> o.values(f.type(), f.data());
                    case Bytes b -> o.bytes(b.data());
                    case LazyFloats f -> {
                        float[] d = f.data().get();
                        if (d.length != product(f.dims())) throw new IllegalStateException("tensor " + f.name() + ": produced " + d.length + " values, dims imply " + product(f.dims()));
                        o.values(f.type(), d);
                    }
                    case LazyBytes b -> {
                        byte[] d = b.data().get();
                        if (d.length != product(b.dims())) throw new IllegalStateException("tensor " + b.name() + ": produced " + d.length + " bytes, dims imply " + product(b.dims()));
                        o.bytes(d);
                    }
                }
                o.padTo(alignment);
            }
            o.flush();
        });
    }

    private static long alignUp(long x, long a) { return (x + a - 1) / a * a; }
}
