package dev.mixprune.quant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HalfFloatsTest {

    @Test
    void everyF16BitPatternConvertsExactlyAsFloat16ToFloat() {
        short[] h = new short[1 << 16];
        for (int i = 0; i < h.length; i++) h[i] = (short) i;
        float[] got = new float[h.length];
        HalfFloats.toFloat(h, 0, h.length, got, 0);
        for (int i = 0; i < h.length; i++) {
            assertThat(Float.floatToRawIntBits(got[i])).as("F16 bits 0x%04x", i)
                    .isEqualTo(Float.floatToRawIntBits(Float.float16ToFloat(h[i])));
        }
    }

    @Test
    void convertsAnyRunAtAnyOffsetIncludingTheScalarTail() {
        short[] h = new short[300];
        for (int i = 0; i < h.length; i++) h[i] = Float.floatToFloat16((i - 150) * 0.37f + 1e-6f * i);
        for (int from : new int[]{0, 1, 7, 33}) {
            for (int n : new int[]{0, 1, 15, 16, 17, 31, 33, 200}) {
                float[] out = new float[n + 5];
                java.util.Arrays.fill(out, -7f);
                HalfFloats.toFloat(h, from, n, out, 3);
                for (int i = 0; i < n; i++) assertThat(out[3 + i]).as("from %d n %d i %d", from, n, i).isEqualTo(Float.float16ToFloat(h[from + i]));
                assertThat(out[0]).isEqualTo(-7f);
                assertThat(out[3 + n]).as("nothing written past n").isEqualTo(-7f);
            }
        }
    }
}
