package dev.mixprune.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Test helper: a GGUF file's bytes with one tensor relabelled as another ggml type. Tensor data must
 * tile the data section (readers refuse a retyped tensor that leaves bytes nobody owns), so the data
 * is re-laid out for the new size: each tensor at the running offset aligned as the writer aligns,
 * its new offset written into the header; a grown tensor is padded with zeros.
 */
public final class GgufRetype {
    private GgufRetype() {}

    /** The patched bytes; the retyped tensor's data starts at byte {@code dataAt} of them. */
    public record Retyped(byte[] bytes, int dataAt) {}

    public static Retyped retype(Path gguf, String name, GgmlType type) throws IOException {
        byte[] b = Files.readAllBytes(gguf);
        try (GgufFile f = GgufFile.open(gguf)) {
            Bytes.putInt(b, Bytes.tensorTypeAt(b, name), type.id());
            int start = (int) f.dataStart();
            List<GgufFile.TensorInfo> order = new ArrayList<>(f.tensorList());
            order.sort(Comparator.comparingLong(GgufFile.TensorInfo::offset));
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            int dataAt = -1;
            for (GgufFile.TensorInfo t : order) {
                while (data.size() % f.alignment() != 0) data.write(0);
                long bytes = t.name().equals(name) ? type.bytesFor(t.elements()) : t.bytes();
                if (t.name().equals(name)) dataAt = start + data.size();
                Bytes.putLong(b, Bytes.tensorTypeAt(b, t.name()) + 4, data.size());
                data.write(b, (int) (start + t.offset()), (int) Math.min(bytes, t.bytes()));
                for (long i = t.bytes(); i < bytes; i++) data.write(0);
            }
            if (dataAt < 0) throw new IllegalArgumentException(gguf + " has no tensor " + name);
            byte[] out = Arrays.copyOf(b, start + data.size());
            System.arraycopy(data.toByteArray(), 0, out, start, data.size());
            return new Retyped(out, dataAt);
        }
    }
}
