package dev.mixprune.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Converts raw little-endian tensor bytes (F32, F16, BF16, Q8_0, Q4_0) to float32. */
final class Dequantize {
    private Dequantize() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static void toFloat(GgmlType type, MemorySegment src, float[] out) {
        int n = out.length;
        switch (type) {
            case F32 -> MemorySegment.copy(src, F32, 0, out, 0, n);
            case F16 -> {
                for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(src.get(I16, 2L * i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) out[i] = bf16ToFloat(src.get(I16, 2L * i));
            }
            case Q8_0 -> {
                // Block of 32: f16 scale d, then 32 int8 quants; x = d * q.
                int blocks = n / 32;
                for (int b = 0; b < blocks; b++) {
                    long at = 34L * b;
                    float d = Float.float16ToFloat(src.get(I16, at));
                    for (int j = 0; j < 32; j++) out[b * 32 + j] = d * src.get(ValueLayout.JAVA_BYTE, at + 2 + j);
                }
            }
            case Q4_0 -> {
                // Block of 32: f16 scale d, then 16 bytes: element j in the low nibble of byte j,
                // element j + 16 in its high nibble; x = d * (nibble - 8) (quant.GgmlBlocks).
                int blocks = n / 32;
                for (int b = 0; b < blocks; b++) {
                    long at = 18L * b;
                    float d = Float.float16ToFloat(src.get(I16, at));
                    for (int j = 0; j < 16; j++) {
                        int v = src.get(ValueLayout.JAVA_BYTE, at + 2 + j) & 0xff;
                        out[b * 32 + j] = d * ((v & 15) - 8);
                        out[b * 32 + 16 + j] = d * ((v >> 4) - 8);
                    }
                }
            }
            default -> throw new IllegalArgumentException("cannot dequantize " + type);
        }
    }

    static float bf16ToFloat(short bits) { return Float.intBitsToFloat((bits & 0xffff) << 16); }

    /** Round-to-nearest-even float32 to bfloat16 (NaN kept a quiet NaN). */
    static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
