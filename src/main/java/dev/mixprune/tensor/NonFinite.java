package dev.mixprune.tensor;

/**
 * Finding NaN and infinite values (issue 13 F2: damaged weights and diverged activations must be
 * named, not turned into garbage output). The scan takes the largest exponent field of the
 * values, an integer max that the JIT vectorises, and looks for the index only when one is
 * non-finite.
 */
public final class NonFinite {
    private NonFinite() {}

    private static final int EXPONENT = 0x7f800000;

    /** The index of the first NaN or infinite value, or -1 when all are finite. */
    public static int first(float[] v) {
        return first(v, 0, v.length);
    }

    /** As {@link #first(float[])} over {@code v[from, to)}. */
    public static int first(float[] v, int from, int to) {
        int max = 0;
        for (int i = from; i < to; i++) max = Math.max(max, Float.floatToRawIntBits(v[i]) & EXPONENT);
        if (max != EXPONENT) return -1;
        for (int i = from; i < to; i++) if (!Float.isFinite(v[i])) return i;
        throw new AssertionError("unreachable");
    }

    public static boolean allFinite(float[] v) {
        return first(v) < 0;
    }
}
