package dev.mixprune.io;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The bulk float/half writers against a naive one-value-at-a-time encoding, across buffer boundaries. */
class LeOutputTest {
    @Test
    void bulkWritesEqualNaiveEncoding() throws Exception {
        SplittableRandom r = new SplittableRandom(8);
        for (int n : new int[]{0, 1, 7, 16383, 16384, 16385, 40_001}) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * 100);
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            LeOutput o = new LeOutput(bos);
            o.u8(7); // misalign the buffer on purpose
            o.floats(a);
            o.halfs(a);
            o.flush();
            ByteBuffer want = ByteBuffer.allocate(1 + 6 * n).order(ByteOrder.LITTLE_ENDIAN);
            want.put((byte) 7);
            for (float v : a) want.putFloat(v);
            for (float v : a) want.putShort(Float.floatToFloat16(v));
            assertThat(bos.toByteArray()).as("n=" + n).isEqualTo(want.array());
            assertThat(o.position()).isEqualTo(1 + 6L * n);
        }
    }
}
