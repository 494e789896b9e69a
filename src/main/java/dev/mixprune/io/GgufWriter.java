package dev.mixprune.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file from metadata and float32 tensors (stored as F32 or F16), streaming each
 * tensor through a small buffer into {@link AtomicFiles} (nothing close to the file's size is
 * held in memory besides the float arrays the caller already has).
 */
public final class GgufWriter {
    private GgufWriter() {}

    /** A tensor to write. {@code dims} fastest-first as GGUF lists them (dims[0] = row length). */
    public record Tensor(String name, long[] dims, TensorDType type, float[] data) {
        public Tensor {
            long n = 1;
            for (long d : dims) n *= d;
            if (n != data.length) throw new IllegalArgumentException("tensor " + name + ": dims imply " + n + " values, data has " + data.length);
        }

        long bytes() { return ggmlType().bytesFor(data.length); }

        /** 2-D weights in the chosen type (F16 where quantized blocks do not fit a row), 1-D tensors F32 unless F16 was asked. */
        GgmlType ggmlType() { return dims.length == 1 && type.quantized() ? GgmlType.F32 : type.ggmlTypeFor(dims[0]); }
    }

    /** Writes {@code metadata} (in its iteration order; general.alignment used if present, else 32) and the tensors. */
    public static void write(Path out, Map<String, GgufValue> metadata, List<Tensor> tensors) throws IOException {
        Map<String, GgufValue> meta = new LinkedHashMap<>(metadata);
        long alignment = GgufFile.DEFAULT_ALIGNMENT;
        GgufValue al = meta.get("general.alignment");
        if (al != null) alignment = al.asLong();
        if (alignment <= 0 || Long.bitCount(alignment) != 1) throw new IllegalArgumentException("general.alignment must be a power of two, got " + alignment);
        List<GgufTensorWriter.Entry> entries = new ArrayList<>();
        for (Tensor t : tensors) entries.add(new GgufTensorWriter.Floats(t.name(), t.dims(), t.ggmlType(), t.data()));
        GgufTensorWriter.write(out, meta, entries);
    }

    static void writeValue(LeOutput o, GgufValue v) throws IOException {
        switch (v.type()) {
            case UINT8, INT8, BOOL -> o.u8(v.value() instanceof Boolean b ? (b ? 1 : 0) : (int) v.asLong());
            case UINT16, INT16 -> o.i16((short) v.asLong());
            case UINT32, INT32 -> o.i32((int) v.asLong());
            case UINT64, INT64 -> o.i64(v.asLong());
            case FLOAT32 -> o.f32((Float) v.value());
            case FLOAT64 -> o.f64((Double) v.value());
            case STRING -> o.ggufString(v.asString());
            case ARRAY -> writeArray(o, v.asArray());
        }
    }

    private static void writeArray(LeOutput o, GgufValue.Array a) throws IOException {
        o.i32(a.elementType().id());
        o.i64(a.length());
        switch (a.values()) {
            case long[] x -> { for (long l : x) writeValue(o, new GgufValue(a.elementType(), l)); }
            case float[] x -> { for (float f : x) o.f32(f); }
            case double[] x -> { for (double d : x) o.f64(d); }
            case boolean[] x -> { for (boolean b : x) o.u8(b ? 1 : 0); }
            case String[] x -> { for (String s : x) o.ggufString(s); }
            case GgufValue[] x -> { for (GgufValue g : x) writeArray(o, g.asArray()); }
            default -> throw new IllegalStateException("bad array storage");
        }
    }
}
