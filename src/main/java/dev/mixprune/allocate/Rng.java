package dev.mixprune.allocate;

/**
 * Seeded SplitMix64 generator whose whole state is one long, so a search checkpoint can store it
 * and a resumed run continues the exact same stream (java.util.SplittableRandom hides its state).
 */
public final class Rng {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private long state;

    public Rng(long seed) { this.state = seed; }

    /** Restores a generator from {@link #state()}. */
    public static Rng fromState(long state) { return new Rng(state); }

    public long state() { return state; }

    public long nextLong() {
        long z = (state += GOLDEN);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, bound), unbiased (rejection of the short top range). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be > 0, got " + bound);
        // Java's Random.nextInt rejection on 63 bits: reject the partial last bucket (overflow test).
        long r = nextLong() >>> 1;
        long v = r % bound;
        while (r - v + (bound - 1) < 0) {
            r = nextLong() >>> 1;
            v = r % bound;
        }
        return (int) v;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() { return (nextLong() >>> 11) * 0x1.0p-53; }
}
