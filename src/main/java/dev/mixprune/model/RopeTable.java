package dev.mixprune.model;

/**
 * Cos/sin table of Meta's interleaved rotary embedding (docs/algorithms.md §9.3): within a head,
 * the pair (x[2j], x[2j+1]) is rotated by pos * theta^(-2j/hs) / d_j, where d_j is the RoPE
 * scaling's divisor of frequency j ({@link RopeScaling#divisors}; 1 for plain RoPE). The frequency
 * and the angle are rounded to float as llama2.c run.c does (powf, pos * freq in float); cos/sin of
 * that float angle are then taken in double and rounded, so the table is as close to run.c as Java
 * allows.
 */
public final class RopeTable {
    private final int headSize;
    private final int positions;
    private final float[] cos; // [pos][hs/2]
    private final float[] sin;

    /** The table of a model's RoPE (head size, base, scaling) for positions 0..positions-1. */
    public static RopeTable of(LlamaConfig c, int positions) {
        return new RopeTable(c.headSize(), positions, c.ropeTheta(), c.ropeScaling());
    }

    RopeTable(int headSize, int positions, float theta) {
        this(headSize, positions, theta, RopeScaling.NONE);
    }

    RopeTable(int headSize, int positions, float theta, RopeScaling scaling) {
        if (headSize % 2 != 0) throw new IllegalArgumentException("head size " + headSize + " must be even for RoPE");
        this.headSize = headSize;
        this.positions = positions;
        int half = headSize / 2;
        cos = new float[positions * half];
        sin = new float[positions * half];
        double[] divisors = scaling.divisors(headSize, theta);
        for (int j = 0; j < half; j++) {
            float freq = (float) (1.0 / (Math.pow(theta, (2.0 * j) / headSize) * divisors[j]));
            for (int p = 0; p < positions; p++) {
                float angle = p * freq;
                cos[p * half + j] = (float) Math.cos(angle);
                sin[p * half + j] = (float) Math.sin(angle);
            }
        }
    }

    public int positions() { return positions; }

    /** Rotates nHeads consecutive heads of one token's vector in place, starting at {@code off}. */
    public void rotate(float[] x, int off, int nHeads, int pos) {
        rotate(x, off, nHeads, pos, 1f);
    }

    /**
     * The transpose (= inverse) of {@link #rotate}: rotates by the negative angle. The backward of
     * RoPE applies it to dL/dq and dL/dk (used by the float32 backward in {@code grad}).
     */
    public void rotateInverse(float[] x, int off, int nHeads, int pos) {
        rotate(x, off, nHeads, pos, -1f);
    }

    /**
     * Rotation by sign * angle. Negating sin is exact, so the inverse is bit-identical to writing
     * its formula out (g0 c + g1 s, -g0 s + g1 c).
     */
    private void rotate(float[] x, int off, int nHeads, int pos, float sign) {
        if (pos >= positions) throw new IllegalArgumentException("position " + pos + " beyond RoPE table of " + positions);
        int half = headSize / 2;
        int t = pos * half;
        for (int h = 0; h < nHeads; h++) {
            int base = off + h * headSize;
            for (int j = 0; j < half; j++) {
                float c = cos[t + j], s = sign * sin[t + j];
                float x0 = x[base + 2 * j], x1 = x[base + 2 * j + 1];
                x[base + 2 * j] = x0 * c - x1 * s;
                x[base + 2 * j + 1] = x0 * s + x1 * c;
            }
        }
    }
}
