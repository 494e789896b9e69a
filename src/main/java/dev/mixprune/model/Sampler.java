package dev.mixprune.model;

import java.util.Arrays;

/**
 * Picks the next token from logits: greedy argmax at temperature 0 (first maximum wins), else
 * softmax(logits / temperature) then nucleus (top-p) sampling when 0 < topP < 1, else plain
 * multinomial. The random source is a seeded xorshift64* generator, so a seed fixes the output.
 */
public final class Sampler {
    private final float temperature;
    private final float topP;
    private long state;

    public Sampler(float temperature, float topP, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (!(topP >= 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in [0, 1], got " + topP);
        this.temperature = temperature;
        this.topP = topP;
        // xorshift has the fixed point 0: mix the seed so every seed (0 included) gives a live state.
        long s = seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        this.state = s == 0 ? 0x2545F4914F6CDD1DL : s;
    }

    public static Sampler greedy() { return new Sampler(0f, 1f, 1); }

    /** Chooses a token; logits is not modified. */
    public int sample(float[] logits, int n) {
        if (temperature == 0f) return argmax(logits, n);
        float[] p = new float[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[i] / (double) temperature);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp(logits[i] / (double) temperature - max);
            p[i] = (float) e;
            sum += e;
        }
        for (int i = 0; i < n; i++) p[i] = (float) (p[i] / sum);
        float coin = nextFloat();
        return topP <= 0 || topP >= 1 ? multinomial(p, coin) : nucleus(p, topP, coin);
    }

    public static int argmax(float[] v, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** Index where the cumulative probability first exceeds coin (last index on rounding). */
    static int multinomial(float[] p, float coin) {
        float cdf = 0f;
        for (int i = 0; i < p.length; i++) {
            cdf += p[i];
            if (coin < cdf) return i;
        }
        return p.length - 1;
    }

    /**
     * Top-p: keep the smallest set of most probable tokens whose mass exceeds topP, renormalise,
     * sample. Tokens below (1-topP)/(n-1) can never be in that set, so they are dropped before the sort.
     */
    static int nucleus(float[] p, float topP, float coin) {
        int n = p.length;
        float cutoff = n > 1 ? (1f - topP) / (n - 1) : 0f;
        int m = 0;
        long[] keyed = new long[n];
        for (int i = 0; i < n; i++) {
            if (p[i] >= cutoff) {
                // Sort by probability descending, index ascending: probabilities are >= 0 so their
                // float bits order like the values; the index breaks ties deterministically.
                keyed[m++] = ((long) (Integer.MAX_VALUE - Float.floatToIntBits(p[i])) << 32) | i;
            }
        }
        if (m == 0) return argmax(p, n);
        long[] sorted = Arrays.copyOf(keyed, m);
        Arrays.sort(sorted);
        float cum = 0f;
        int last = m - 1;
        for (int i = 0; i < m; i++) {
            cum += p[(int) sorted[i]];
            if (cum > topP) { last = i; break; }
        }
        float r = coin * cum;
        float cdf = 0f;
        for (int i = 0; i <= last; i++) {
            int idx = (int) sorted[i];
            cdf += p[idx];
            if (r < cdf) return idx;
        }
        return (int) sorted[last];
    }

    /** Uniform in [0, 1) with 24 random bits (xorshift64*). */
    float nextFloat() {
        state ^= state >>> 12;
        state ^= state << 25;
        state ^= state >>> 27;
        int u = (int) ((state * 0x2545F4914F6CDD1DL) >>> 32);
        return (u >>> 8) / 16777216.0f;
    }
}
