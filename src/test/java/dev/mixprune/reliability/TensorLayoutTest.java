package dev.mixprune.reliability;

import dev.mixprune.BadInputException;
import dev.mixprune.io.GgufFile;
import dev.mixprune.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 13 F5: a GGUF tensor pointing into another tensor's bytes, safetensors data_offsets that
 * overlap, and a tensor relabelled to a narrower type loaded with exit 0. Tensor data must now
 * tile the data section exactly (GGUF: aligned, as llama.cpp writes and requires; safetensors:
 * no holes, as the format requires).
 */
class TensorLayoutTest {
    @TempDir Path dir;

    /** A GGUF v3 with no metadata and 1-D tensors {name, elements, ggml type id, data offset}, data section {@code dataBytes} long. */
    static byte[] gguf(Object[][] tensors, int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(4096 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x46554747).putInt(3).putLong(tensors.length).putLong(0);
        for (Object[] t : tensors) {
            byte[] name = ((String) t[0]).getBytes(StandardCharsets.UTF_8);
            b.putLong(name.length).put(name).putInt(1).putLong((Integer) t[1]).putInt((Integer) t[2]).putLong((Integer) t[3]);
        }
        while (b.position() % 32 != 0) b.put((byte) 0);
        for (int i = 0; i < dataBytes; i++) b.put((byte) 0);
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    void loads(Path p) throws IOException {
        if (p.toString().endsWith(".gguf")) GgufFile.open(p).close();
        else SafetensorsFile.open(p).close();
    }

    @Test
    void ggufTensorsMustTileTheDataSection() throws IOException {
        // 64 F32 values = 256 bytes each: a at 0, b at 256.
        loads(write("ok.gguf", gguf(new Object[][]{{"a", 64, 0, 0}, {"b", 64, 0, 256}}, 512)));
        // b points into a's bytes
        assertThatThrownBy(() -> loads(write("overlap.gguf", gguf(new Object[][]{{"a", 64, 0, 0}, {"b", 64, 0, 128}}, 512))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("overlap.gguf").hasMessageContaining("tensor 'b'")
                .hasMessageContaining("overlapping");
        // both point at the same bytes
        assertThatThrownBy(() -> loads(write("same.gguf", gguf(new Object[][]{{"a", 64, 0, 0}, {"b", 64, 0, 0}}, 512))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("overlapping");
        // a relabelled F32 -> F16 (type 1): its second half belongs to nobody
        assertThatThrownBy(() -> loads(write("retyped.gguf", gguf(new Object[][]{{"a", 64, 1, 0}, {"b", 64, 0, 256}}, 512))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("tensor 'b'").hasMessageContaining("unaccounted");
        // the last tensor relabelled: trailing bytes nobody owns
        assertThatThrownBy(() -> loads(write("retyped-last.gguf", gguf(new Object[][]{{"a", 64, 0, 0}, {"b", 64, 1, 256}}, 512))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("after the last tensor 'b'");
        // padding to the alignment after the last tensor is fine
        loads(write("padded.gguf", gguf(new Object[][]{{"a", 64, 0, 0}, {"b", 4, 0, 256}}, 256 + 32)));
    }

    static byte[] safetensors(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        out.writeBytes(new byte[dataBytes]);
        return out.toByteArray();
    }

    static String st(String a, String b) {
        return "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":" + a
                + "},\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":" + b + "}}";
    }

    @Test
    void safetensorsDataMustBeIndexedWithoutHolesOrOverlaps() throws IOException {
        loads(write("ok.safetensors", safetensors(st("[0,16]", "[16,32]"), 32)));
        loads(write("reversed.safetensors", safetensors(st("[16,32]", "[0,16]"), 32)));
        assertThatThrownBy(() -> loads(write("overlap.safetensors", safetensors(st("[0,16]", "[8,24]"), 32))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("overlap.safetensors").hasMessageContaining("overlapping");
        assertThatThrownBy(() -> loads(write("alias.safetensors", safetensors(st("[0,16]", "[0,16]"), 16))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("overlapping");
        assertThatThrownBy(() -> loads(write("hole.safetensors", safetensors(st("[0,16]", "[20,36]"), 36))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("unaccounted");
        assertThatThrownBy(() -> loads(write("trailing.safetensors", safetensors(st("[0,16]", "[16,32]"), 40))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("8 data bytes after the last tensor 'b'");
        // F32 relabelled F16 with the same offsets: the span no longer matches type x shape
        assertThatThrownBy(() -> loads(write("retyped.safetensors", safetensors(st("[0,16]", "[16,32]").replaceFirst("F32", "F16"), 32))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("needs 8 bytes");
    }
}
