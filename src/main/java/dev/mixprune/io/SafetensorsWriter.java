package dev.mixprune.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Writes a {@code .safetensors} file (F32 or F16 tensors), streaming the data through AtomicFiles. */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    /** A tensor: {@code shape} outermost-first (PyTorch order), data row-major. */
    public record Tensor(String name, long[] shape, TensorDType type, float[] data) {
        long bytes() { return (long) data.length * (type == TensorDType.F32 ? 4 : 2); }
    }

    /** A tensor's header entry without its data (for writers that produce the data later). */
    public record Spec(String name, long[] shape, TensorDType type) {
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        long bytes() { return elements() * (type == TensorDType.F32 ? 4 : 2); }
    }

    public static void write(Path out, List<Tensor> tensors, Map<String, String> metadata) throws IOException {
        List<Spec> specs = new java.util.ArrayList<>();
        for (Tensor t : tensors) {
            Spec s = new Spec(t.name(), t.shape(), t.type());
            if (s.elements() != t.data().length) throw new IllegalArgumentException("tensor " + t.name() + ": shape implies " + s.elements() + " values, data has " + t.data().length);
            specs.add(s);
        }
        byte[] header = header(specs, metadata);
        AtomicFiles.writeStream(out, os -> {
            LeOutput o = new LeOutput(os);
            o.i64(header.length);
            o.bytes(header);
            for (Tensor t : tensors) {
                if (t.type() == TensorDType.F32) o.floats(t.data()); else o.halfs(t.data());
            }
            o.flush();
        });
    }

    /**
     * The JSON header (names, dtypes, shapes, data offsets back to back in list order), padded with
     * spaces to a multiple of 8 so the data is aligned (as the reference writer does). The file is
     * then: u64 LE header length, the header, the tensors' data in list order.
     */
    static byte[] header(List<Spec> tensors, Map<String, String> metadata) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long off = 0;
        for (Spec t : tensors) {
            ObjectNode e = root.putObject(t.name());
            e.put("dtype", t.type().name());
            ArrayNode sh = e.putArray("shape");
            for (long d : t.shape()) sh.add(d);
            ArrayNode o = e.putArray("data_offsets");
            o.add(off);
            o.add(off + t.bytes());
            off += t.bytes();
        }
        byte[] json = om.writeValueAsBytes(root);
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = new byte[padded];
        System.arraycopy(json, 0, header, 0, json.length);
        for (int i = json.length; i < padded; i++) header[i] = ' ';
        return header;
    }
}
