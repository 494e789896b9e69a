package dev.mixprune.sparse;

import dev.mixprune.io.AtomicFiles;
import dev.mixprune.io.GgmlType;
import dev.mixprune.io.GgufFile;
import dev.mixprune.io.GgufValue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A GGUF v3 writer for tensors of float (F32/F16) and raw byte (I8) data, used for packed models
 * whose in-group indices are byte tensors ({@code io.GgufWriter} writes float tensors only).
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

    /** Float data stored as F32 or F16. */
    public record Floats(String name, long[] dims, GgmlType type, float[] data) implements Entry {
        public Floats {
            if (type != GgmlType.F32 && type != GgmlType.F16) throw new IllegalArgumentException(name + ": float tensors are F32 or F16, not " + type);
            if (product(dims) != data.length) throw new IllegalArgumentException("tensor " + name + ": dims imply " + product(dims) + " values, data has " + data.length);
        }
        public long bytes() { return (long) data.length * (type == GgmlType.F32 ? 4 : 2); }
    }

    /** Raw bytes stored as I8. */
    public record Bytes(String name, long[] dims, byte[] data) implements Entry {
        public Bytes {
            if (product(dims) != data.length) throw new IllegalArgumentException("tensor " + name + ": dims imply " + product(dims) + " bytes, data has " + data.length);
        }
        public GgmlType type() { return GgmlType.I8; }
        public long bytes() { return data.length; }
    }

    /** Float data produced when written (F32 or F16). */
    public record LazyFloats(String name, long[] dims, GgmlType type, java.util.function.Supplier<float[]> data) implements Entry {
        public LazyFloats {
            if (type != GgmlType.F32 && type != GgmlType.F16) throw new IllegalArgumentException(name + ": float tensors are F32 or F16, not " + type);
        }
        public long bytes() { return product(dims) * (type == GgmlType.F32 ? 4 : 2); }
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

    public static void write(Path out, Map<String, GgufValue> meta, List<? extends Entry> tensors) throws IOException {
        long alignment = meta.containsKey("general.alignment") ? meta.get("general.alignment").asLong() : GgufFile.DEFAULT_ALIGNMENT;
        List<Long> offsets = new ArrayList<>();
        long off = 0;
        for (Entry t : tensors) {
            offsets.add(off);
            off = alignUp(off + t.bytes(), alignment);
        }
        AtomicFiles.writeStream(out, os -> {
            Le o = new Le(os);
            o.i32(GgufFile.MAGIC);
            o.i32(3);
            o.i64(tensors.size());
            o.i64(meta.size());
            for (Map.Entry<String, GgufValue> e : meta.entrySet()) {
                o.string(e.getKey());
                o.i32(e.getValue().type().id());
                value(o, e.getValue());
            }
            for (int i = 0; i < tensors.size(); i++) {
                Entry t = tensors.get(i);
                o.string(t.name());
                o.i32(t.dims().length);
                for (long d : t.dims()) o.i64(d);
                o.i32(t.type().id());
                o.i64(offsets.get(i));
            }
            o.padTo(alignment);
            long dataStart = o.position();
            for (int i = 0; i < tensors.size(); i++) {
                Entry t = tensors.get(i);
                if (o.position() != dataStart + offsets.get(i)) throw new IllegalStateException("GGUF writer lost its position at tensor " + t.name());
                switch (t) {
                    case Floats f when f.type() == GgmlType.F32 -> { for (float v : f.data()) o.f32(v); }
                    case Floats f -> { for (float v : f.data()) o.i16(Float.floatToFloat16(v)); }
                    case Bytes b -> o.bytes(b.data());
                    case LazyFloats f -> {
                        float[] d = f.data().get();
                        if (d.length != product(f.dims())) throw new IllegalStateException("tensor " + f.name() + ": produced " + d.length + " values, dims imply " + product(f.dims()));
                        if (f.type() == GgmlType.F32) for (float v : d) o.f32(v); else for (float v : d) o.i16(Float.floatToFloat16(v));
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

    private static void value(Le o, GgufValue v) throws IOException {
        switch (v.type()) {
            case UINT8, INT8 -> o.u8((int) v.asLong());
            case BOOL -> o.u8((Boolean) v.value() ? 1 : 0);
            case UINT16, INT16 -> o.i16((short) v.asLong());
            case UINT32, INT32 -> o.i32((int) v.asLong());
            case UINT64, INT64 -> o.i64(v.asLong());
            case FLOAT32 -> o.f32((Float) v.value());
            case FLOAT64 -> o.i64(Double.doubleToRawLongBits((Double) v.value()));
            case STRING -> o.string(v.asString());
            case ARRAY -> array(o, v.asArray());
        }
    }

    private static void array(Le o, GgufValue.Array a) throws IOException {
        o.i32(a.elementType().id());
        o.i64(a.length());
        switch (a.values()) {
            case long[] x -> { for (long l : x) value(o, new GgufValue(a.elementType(), l)); }
            case float[] x -> { for (float f : x) o.f32(f); }
            case double[] x -> { for (double d : x) o.i64(Double.doubleToRawLongBits(d)); }
            case boolean[] x -> { for (boolean b : x) o.u8(b ? 1 : 0); }
            case String[] x -> { for (String s : x) o.string(s); }
            case GgufValue[] x -> { for (GgufValue g : x) array(o, g.asArray()); }
            default -> throw new IllegalStateException("bad array storage");
        }
    }

    /** Little-endian buffered output that knows its position (for alignment padding). */
    private static final class Le {
        private final OutputStream out;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        private long flushed;

        Le(OutputStream out) { this.out = out; }

        long position() { return flushed + buf.position(); }
        private void ensure(int n) throws IOException { if (buf.remaining() < n) flush(); }
        void u8(int v) throws IOException { ensure(1); buf.put((byte) v); }
        void i16(short v) throws IOException { ensure(2); buf.putShort(v); }
        void i32(int v) throws IOException { ensure(4); buf.putInt(v); }
        void i64(long v) throws IOException { ensure(8); buf.putLong(v); }
        void f32(float v) throws IOException { ensure(4); buf.putFloat(v); }

        void bytes(byte[] b) throws IOException {
            flush();
            out.write(b);
            flushed += b.length;
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            bytes(b);
        }

        void padTo(long alignment) throws IOException {
            long pad = alignUp(position(), alignment) - position();
            for (long i = 0; i < pad; i++) u8(0);
        }

        void flush() throws IOException {
            out.write(buf.array(), 0, buf.position());
            flushed += buf.position();
            buf.clear();
        }
    }
}
