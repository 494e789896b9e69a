package dev.mixprune.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class SafetensorsTest {

    @Test
    void readsHandWrittenF32F16Bf16(@TempDir Path tmp) throws Exception {
        SplittableRandom r = new SplittableRandom(3);
        int n = 13;
        float[] f32 = new float[n];
        short[] f16 = new short[n], bf16 = new short[n];
        for (int i = 0; i < n; i++) {
            f32[i] = (float) r.nextGaussian();
            f16[i] = Float.floatToFloat16((float) r.nextGaussian());
            bf16[i] = (short) r.nextInt(1 << 16);
            if (Float.isNaN(Float.intBitsToFloat(bf16[i] << 16))) bf16[i] = 0x3f80;
        }
        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[13],\"data_offsets\":[0,52]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[1,13],\"data_offsets\":[52,78]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[13,1],\"data_offsets\":[78,104]}}";
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 104).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (float v : f32) b.putFloat(v);
        for (short v : f16) b.putShort(v);
        for (short v : bf16) b.putShort(v);
        Path p = tmp.resolve("t.safetensors");
        Files.write(p, b.array());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.metadata()).containsEntry("format", "pt");
            assertThat(f.entries().keySet()).containsExactly("a", "b", "c");
            assertThat(f.readFloats(f.entry("a"))).isEqualTo(f32);
            float[] gb = f.readFloats(f.entry("b")), gc = f.readFloats(f.entry("c"));
            for (int i = 0; i < n; i++) {
                assertThat(gb[i]).isEqualTo(Float.float16ToFloat(f16[i]));
                assertThat(Float.floatToRawIntBits(gc[i])).isEqualTo((bf16[i] & 0xffff) << 16);
            }
        }
    }

    @Test
    void writerAlignsDataAndKeepsMetadata(@TempDir Path tmp) throws Exception {
        Path p = tmp.resolve("w.safetensors");
        float[] x = {1.5f, -2f, 3.25f, 0f, 1e-3f, 7f};
        SafetensorsWriter.write(p, List.of(new SafetensorsWriter.Tensor("x", new long[]{2, 3}, TensorDType.F32, x),
                new SafetensorsWriter.Tensor("y", new long[]{3, 2}, TensorDType.F16, x)), Map.of("format", "pt", "note", "hi"));
        byte[] all = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertThat(n % 8).isZero();
        assertThat(all.length).isEqualTo(8 + n + 6 * 4 + 6 * 2);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.metadata()).containsEntry("note", "hi");
            assertThat(f.entry("x").shape()).containsExactly(2, 3);
            assertThat(f.readFloats(f.entry("x"))).isEqualTo(x);
            assertThat(f.entry("y").dtype()).isEqualTo("F16");
            assertThat(f.readFloats(f.entry("y"))[4]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(1e-3f)));
        }
    }
}
