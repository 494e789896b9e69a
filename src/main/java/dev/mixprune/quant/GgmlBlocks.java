package dev.mixprune.quant;

/**
 * ggml's Q8_0 and Q4_0 block formats, quantized exactly as ggml's reference quantizers
 * ({@code quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref} in ggml-quants.c, which
 * llama.cpp's {@code llama-quantize} and gguf-py use for these two types) define them, so that a
 * file written here holds the bytes llama.cpp would write for the same floats.
 * <ul>
 *   <li><b>Q8_0</b>, 34 bytes per 32 values: F16 scale {@code d = amax / 127} (amax = largest
 *       |x| of the block, d rounded to F16 to nearest even), then 32 int8
 *       {@code q = roundf(x * id)} with {@code id = 1 / d} computed from the float32 d (0 when
 *       d = 0), roundf rounding halves away from zero. Value = {@code d * q}.</li>
 *   <li><b>Q4_0</b>, 18 bytes per 32 values: {@code d = max / -8} where max is the block's value of
 *       largest magnitude WITH its sign (the first one when several tie), F16 scale, then 16 bytes:
 *       byte j holds element j in its low nibble and element j + 16 in its high nibble, each
 *       {@code min(15, (int8) (x * id + 8.5f))} (the cast truncates toward zero). Value =
 *       {@code d * (nibble - 8)}.</li>
 * </ul>
 * Every float operation is done in float32 in the definition's order (Java float arithmetic is
 * IEEE round-to-nearest, like C's without fused multiply-add), so the result is bit-exact.
 */
public final class GgmlBlocks {
    private GgmlBlocks() {}

    /** Values per block of both types. */
    public static final int QK = 32;
    public static final int Q8_0_BLOCK_BYTES = 34;
    public static final int Q4_0_BLOCK_BYTES = 18;

    /**
     * Quantizes {@code n} (a multiple of 32) floats {@code x[off ..]} into Q8_0 blocks at
     * {@code out[outOff ..]} ({@code n / 32 * 34} bytes).
     */
    public static void quantizeQ8_0(float[] x, int off, int n, byte[] out, int outOff) {
        checkBlocks(n);
        for (int b = 0; b < n / QK; b++) {
            int o = outOff + b * Q8_0_BLOCK_BYTES;
            short d = quantizeQ8Block(x, off + b * QK, QK, out, o + 2);
            out[o] = (byte) d;
            out[o + 1] = (byte) (d >> 8);
        }
    }

    /**
     * One Q8_0-style block of {@code len <= 32} values {@code x[off .. off+len)} (missing values
     * count as 0): writes {@code len} int8 quants at {@code q[qOff ..]} and returns the F16 scale
     * bits. The same rule as {@link #quantizeQ8_0} (used for the kept values of packed N:M layers).
     */
    public static short quantizeQ8Block(float[] x, int off, int len, byte[] q, int qOff) {
        float amax = 0f;
        for (int j = 0; j < len; j++) {
            float v = x[off + j];
            if (!Float.isFinite(v)) throw new IllegalArgumentException("cannot quantize a non-finite value (" + v + ") at index " + (off + j));
            amax = Math.max(amax, Math.abs(v));
        }
        float d = amax / 127f;
        float id = d != 0f ? 1f / d : 0f;
        short dh = Float.floatToFloat16(d);
        if (Float.isInfinite(Float.float16ToFloat(dh))) {
            throw new IllegalArgumentException("cannot quantize to Q8_0: |value| " + amax + " at index " + off + ".. exceeds the F16 scale range");
        }
        for (int j = 0; j < len; j++) q[qOff + j] = (byte) roundHalfAway(x[off + j] * id);
        return dh;
    }

    /**
     * Quantizes {@code n} (a multiple of 32) floats {@code x[off ..]} into Q4_0 blocks at
     * {@code out[outOff ..]} ({@code n / 32 * 18} bytes).
     */
    public static void quantizeQ4_0(float[] x, int off, int n, byte[] out, int outOff) {
        checkBlocks(n);
        for (int b = 0; b < n / QK; b++) {
            int base = off + b * QK, o = outOff + b * Q4_0_BLOCK_BYTES;
            float amax = 0f, max = 0f;
            for (int j = 0; j < QK; j++) {
                float v = x[base + j];
                if (!Float.isFinite(v)) throw new IllegalArgumentException("cannot quantize a non-finite value (" + v + ") at index " + (base + j));
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8f;
            float id = d != 0f ? 1f / d : 0f;
            short dh = Float.floatToFloat16(d);
            if (Float.isInfinite(Float.float16ToFloat(dh))) {
                throw new IllegalArgumentException("cannot quantize to Q4_0: |value| " + amax + " at index " + base + ".. exceeds the F16 scale range");
            }
            out[o] = (byte) dh;
            out[o + 1] = (byte) (dh >> 8);
            for (int j = 0; j < QK / 2; j++) {
                int lo = Math.min(15, (int) (x[base + j] * id + 8.5f));
                int hi = Math.min(15, (int) (x[base + QK / 2 + j] * id + 8.5f));
                out[o + 2 + j] = (byte) (lo | hi << 4);
            }
        }
    }

    /** C's roundf: the nearest integer, halves away from zero (Math.round would round -2.5 to -2). */
    public static int roundHalfAway(float v) {
        float a = Math.abs(v);
        // floor(a + 0.5) in float is wrong just below 0.5 (0.49999997f + 0.5f rounds up to 1): go through double.
        int r = (int) Math.floor((double) a + 0.5);
        return v < 0 ? -r : r;
    }

    /** Q8_0 blocks {@code src[off ..]} to {@code n} floats at {@code out[outOff ..]}: {@code d * q}. */
    public static void dequantizeQ8_0(byte[] src, int off, float[] out, int outOff, int n) {
        checkBlocks(n);
        for (int b = 0; b < n / QK; b++) {
            int o = off + b * Q8_0_BLOCK_BYTES;
            float d = Float.float16ToFloat(f16(src, o));
            for (int j = 0; j < QK; j++) out[outOff + b * QK + j] = d * src[o + 2 + j];
        }
    }

    /** Q4_0 blocks {@code src[off ..]} to {@code n} floats at {@code out[outOff ..]}: {@code d * (nibble - 8)}. */
    public static void dequantizeQ4_0(byte[] src, int off, float[] out, int outOff, int n) {
        checkBlocks(n);
        for (int b = 0; b < n / QK; b++) {
            int o = off + b * Q4_0_BLOCK_BYTES, base = outOff + b * QK;
            float d = Float.float16ToFloat(f16(src, o));
            for (int j = 0; j < QK / 2; j++) {
                int v = src[o + 2 + j] & 0xff;
                out[base + j] = d * ((v & 15) - 8);
                out[base + QK / 2 + j] = d * ((v >> 4) - 8);
            }
        }
    }

    /** The little-endian F16 bits at {@code b[o]}. */
    public static short f16(byte[] b, int o) { return (short) ((b[o] & 0xff) | b[o + 1] << 8); }

    private static void checkBlocks(int n) {
        if (n < 0 || n % QK != 0) throw new IllegalArgumentException(n + " values are not a whole number of " + QK + "-value blocks");
    }
}
