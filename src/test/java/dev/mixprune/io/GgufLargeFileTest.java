package dev.mixprune.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A (sparse) 32 GiB GGUF, larger than this machine's RAM, opens through the mapping without reading the data. */
class GgufLargeFileTest {

    @Test
    void fileLargerThanRamOpens(@TempDir Path tmp) throws Exception {
        long in = 8192, out = 1 << 20; // 2^33 floats = 32 GiB
        ByteBuffer h = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(GgufFile.MAGIC).putInt(3).putLong(1).putLong(1);
        putString(h, "general.architecture");
        h.putInt(GgufValueType.STRING.id());
        putString(h, "llama");
        putString(h, "token_embd.weight");
        h.putInt(2).putLong(in).putLong(out).putInt(GgmlType.F32.id()).putLong(0);
        long dataStart = GgufFile.alignUp(h.position(), 32);
        long size = dataStart + 4 * in * out;
        Path p = tmp.resolve("huge.gguf");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.write(h.array(), 0, h.position());
            f.setLength(size);
            f.seek(size - 4);
            f.write(new byte[]{0, 0, (byte) 0x80, 0x3f}); // last value 1.0f
        }
        try (GgufFile g = GgufFile.open(p)) {
            GgufFile.TensorInfo t = g.requireTensor("token_embd.weight");
            assertThat(t.bytes()).isEqualTo(32L << 30);
            assertThat(g.dataStart()).isEqualTo(dataStart);
            var seg = g.data(t);
            assertThat(seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), seg.byteSize() - 4)).isEqualTo(1.0f);
            assertThat(seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 12345L << 20)).isEqualTo(0f);
        }
    }

    private static void putString(ByteBuffer b, String s) {
        byte[] x = s.getBytes(StandardCharsets.UTF_8);
        b.putLong(x.length).put(x);
    }
}
