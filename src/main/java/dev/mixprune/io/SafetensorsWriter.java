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

    public static void write(Path out, List<Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long off = 0;
        for (Tensor t : tensors) {
            long n = 1;
            for (long d : t.shape()) n *= d;
            if (n != t.data().length) throw new IllegalArgumentException("tensor " + t.name() + ": shape implies " + n + " values, data has " + t.data().length);
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
        // Pad the header with spaces to a multiple of 8 so the data is aligned (as the reference writer does).
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = new byte[padded];
        System.arraycopy(json, 0, header, 0, json.length);
        for (int i = json.length; i < padded; i++) header[i] = ' ';
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
}
