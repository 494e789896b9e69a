package dev.mixprune.quant;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Q8_0 / Q4_0 blocks against blocks worked out by hand from ggml's reference definition. */
class GgmlBlocksTest {

    @Test
    void q8BlockWithDyadicScale() {
        // amax = 127/64, so d = 1/64 exactly (F16 0x2400: exponent -6 + 15 = 9), id = 64, and
        // x * id = (j - 16) * 1.5 for j >= 1: the halves must round away from zero (C roundf).
        float[] x = new float[32];
        x[0] = 127f / 64f;
        for (int j = 1; j < 32; j++) x[j] = (j - 16) * 3f / 128f;
        byte[] out = new byte[34];
        GgmlBlocks.quantizeQ8_0(x, 0, 32, out, 0);
        assertThat(out[0]).isEqualTo((byte) 0x00);
        assertThat(out[1]).isEqualTo((byte) 0x24);
        assertThat(out[2]).isEqualTo((byte) 127);
        // j = 1: -22.5 -> -23; j = 14: -3 -> -3; j = 15: -1.5 -> -2; j = 16: 0; j = 17: 1.5 -> 2; j = 31: 22.5 -> 23
        assertThat(out[2 + 1]).isEqualTo((byte) -23);
        assertThat(out[2 + 14]).isEqualTo((byte) -3);
        assertThat(out[2 + 15]).isEqualTo((byte) -2);
        assertThat(out[2 + 16]).isEqualTo((byte) 0);
        assertThat(out[2 + 17]).isEqualTo((byte) 2);
        assertThat(out[2 + 18]).isEqualTo((byte) 3);
        assertThat(out[2 + 31]).isEqualTo((byte) 23);
        float[] back = new float[32];
        GgmlBlocks.dequantizeQ8_0(out, 0, back, 0, 32);
        assertThat(back[15]).isEqualTo(-2f / 64f);
        assertThat(back[0]).isEqualTo(127f / 64f);
    }

    @Test
    void q8BlockWithRoundedScaleAndZeroBlock() {
        // Block 0: amax 1 -> d = 1/127 = 0.007874016f; as F16: 2^-7 * (1 + 8.06/1024) -> mantissa 8,
        // bits (8 << 10) | 8 = 0x2008. id = 1/d(float32) ~ 127: 0.25 -> 31.75 -> 32, -0.1 -> -12.7 -> -13.
        // Block 1: all zeros -> d = 0, id = 0, all quants 0.
        float[] x = new float[64];
        x[0] = 1f;
        x[1] = 0.25f;
        x[2] = -0.1f;
        x[3] = -1f;
        byte[] out = new byte[68];
        GgmlBlocks.quantizeQ8_0(x, 0, 64, out, 0);
        assertThat(GgmlBlocks.f16(out, 0)).isEqualTo((short) 0x2008);
        assertThat(new byte[]{out[2], out[3], out[4], out[5], out[6]}).containsExactly(127, 32, -13, -127, 0);
        for (int i = 34; i < 68; i++) assertThat(out[i]).isZero();
    }

    @Test
    void q4BlocksSignedMaxAndNibbleOrder() {
        // Block 0: the largest magnitude is -8 (x[5]; a later +8 ties and does not replace it), so
        // d = -8 / -8 = 1 (F16 0x3C00), id = 1, nibble = min(15, trunc(x + 8.5)).
        float[] x = new float[64];
        x[5] = -8f;
        x[6] = 8f;     // 16.5 -> 16 -> clamped 15
        x[7] = 0.5f;   // 9.0 -> 9
        x[8] = -0.5f;  // 8.0 -> 8
        x[9] = -7.5f;  // 1.0 -> 1
        x[16] = 3f;    // element 16: high nibble of byte 0; 11.5 -> 11
        x[21] = -2.25f; // high nibble of byte 5; 6.25 -> 6
        // Block 1 (elements 32..63): largest magnitude is +4 -> d = -0.5 (F16 0xB800), id = -2.
        x[32] = 4f;    // -8 + 8.5 = 0.5 -> 0
        x[33] = -4f;   // 8 + 8.5 = 16.5 -> 16 -> 15
        x[34] = 1f;    // -2 + 8.5 = 6.5 -> 6
        x[35] = -1f;   // 2 + 8.5 = 10.5 -> 10
        x[36] = 0.25f; // -0.5 + 8.5 = 8 -> 8
        byte[] out = new byte[36];
        GgmlBlocks.quantizeQ4_0(x, 0, 64, out, 0);
        assertThat(GgmlBlocks.f16(out, 0)).isEqualTo((short) 0x3C00);
        // byte j = element j (low) | element j + 16 (high); untouched zeros quantize to 8.
        assertThat(out[2] & 0xff).isEqualTo(8 | 11 << 4);
        assertThat(out[2 + 5] & 0xff).isEqualTo(0 | 6 << 4);
        assertThat(out[2 + 6] & 0xff).isEqualTo(15 | 8 << 4);
        assertThat(out[2 + 7] & 0xff).isEqualTo(9 | 8 << 4);
        assertThat(out[2 + 8] & 0xff).isEqualTo(8 | 8 << 4);
        assertThat(out[2 + 9] & 0xff).isEqualTo(1 | 8 << 4);
        assertThat(GgmlBlocks.f16(out, 18)).isEqualTo((short) 0xB800);
        assertThat(new int[]{out[20] & 15, out[21] & 15, out[22] & 15, out[23] & 15, out[24] & 15}).containsExactly(0, 15, 6, 10, 8);

        float[] back = new float[64];
        GgmlBlocks.dequantizeQ4_0(out, 0, back, 0, 64);
        assertThat(back[5]).isEqualTo(-8f);
        assertThat(back[6]).isEqualTo(7f);
        assertThat(back[16]).isEqualTo(3f);
        assertThat(back[21]).isEqualTo(-2f);
        assertThat(back[32]).isEqualTo(4f);  // -0.5 * (0 - 8)
        assertThat(back[33]).isEqualTo(-3.5f); // -0.5 * (15 - 8)
    }

    @Test
    void roundTripErrorIsWithinHalfAStep() {
        SplittableRandom rnd = new SplittableRandom(3);
        float[] x = new float[32 * 50];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian()));
        byte[] q8 = new byte[50 * 34], q4 = new byte[50 * 18];
        float[] b8 = new float[x.length], b4 = new float[x.length];
        GgmlBlocks.quantizeQ8_0(x, 0, x.length, q8, 0);
        GgmlBlocks.quantizeQ4_0(x, 0, x.length, q4, 0);
        GgmlBlocks.dequantizeQ8_0(q8, 0, b8, 0, x.length);
        GgmlBlocks.dequantizeQ4_0(q4, 0, b4, 0, x.length);
        for (int b = 0; b < 50; b++) {
            double amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]));
            for (int j = 0; j < 32; j++) {
                int i = b * 32 + j;
                // F16 rounding of the scale adds up to 2^-11 relative on top of half a step.
                assertThat((double) Math.abs(b8[i] - x[i])).isLessThanOrEqualTo(amax / 127 * 0.5 + amax * 1e-3);
                // Q4_0's values reach 15 - 8 = 7 steps on the far side, the clamp then costs up to one step.
                assertThat((double) Math.abs(b4[i] - x[i])).isLessThanOrEqualTo(amax / 8 * 1.0 + amax * 1e-3);
            }
        }
    }

    @Test
    void rejectsPartialBlocksAndNonFiniteValues() {
        assertThatThrownBy(() -> GgmlBlocks.quantizeQ8_0(new float[40], 0, 40, new byte[68], 0)).hasMessageContaining("40 values");
        float[] x = new float[32];
        x[3] = Float.NaN;
        assertThatThrownBy(() -> GgmlBlocks.quantizeQ4_0(x, 0, 32, new byte[18], 0)).hasMessageContaining("non-finite").hasMessageContaining("index 3");
    }
}
