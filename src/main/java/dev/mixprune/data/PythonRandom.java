package dev.mixprune.data;

import java.math.BigInteger;
import java.util.List;

/**
 * CPython's {@code random.Random} reproduced bit for bit (MT19937; docs/algorithms.md §1.3), so
 * that calibration windows are the ones the Python references draw. Covers {@code seed(int)},
 * {@code getrandbits(k)} for k <= 64, {@code randbelow}, {@code randint}, {@code shuffle} and
 * {@code random()}. Not thread-safe: one generator per sampling run. {@link java.util.Random} is a
 * different generator and must not be used where parity with Python matters.
 */
public final class PythonRandom {
    private static final int N = 624;
    private static final int M = 397;
    private static final int MATRIX_A = 0x9908b0df;
    private static final int UPPER_MASK = 0x80000000;
    private static final int LOWER_MASK = 0x7fffffff;

    private final int[] mt = new int[N];
    private int index;

    public PythonRandom(long seed) { seed(seed); }

    public PythonRandom(BigInteger seed) { seed(seed); }

    /** {@code random.seed(a)} for an int: the key is |a| in 32-bit words, least significant first. */
    public void seed(long a) { seed(BigInteger.valueOf(a)); }

    public void seed(BigInteger a) {
        BigInteger n = a.abs();
        int words = Math.max(1, (n.bitLength() + 31) / 32);
        int[] key = new int[words];
        for (int i = 0; i < words; i++) key[i] = n.shiftRight(32 * i).intValue();
        initByArray(key);
    }

    private void initGenrand(int s) {
        mt[0] = s;
        for (int i = 1; i < N; i++) mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        index = N;
    }

    private void initByArray(int[] key) {
        initGenrand(19650218);
        int i = 1, j = 0;
        for (int k = Math.max(N, key.length); k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1664525)) + key[j] + j;
            i++;
            j++;
            if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
            if (j >= key.length) j = 0;
        }
        for (int k = N - 1; k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1566083941)) - i;
            i++;
            if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
        }
        mt[0] = 0x80000000; // MSB is 1, assuring a non-zero initial array
        index = N;
    }

    private void twist() {
        for (int k = 0; k < N; k++) {
            int y = (mt[k] & UPPER_MASK) | (mt[(k + 1) % N] & LOWER_MASK);
            mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
        }
        index = 0;
    }

    /** The next tempered 32-bit output, as an unsigned value in [0, 2^32). */
    public long nextUInt32() {
        if (index >= N) twist();
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y & 0xffffffffL;
    }

    /**
     * {@code getrandbits(k)} for 0 <= k <= 64. For k <= 32 one output shifted right by 32 - k; above,
     * 32-bit words least significant first with the last (most significant) one truncated, as CPython does.
     */
    public long getrandbits(int k) {
        if (k < 0 || k > 64) throw new IllegalArgumentException("getrandbits(" + k + "): k must be in [0, 64]");
        if (k == 0) return 0;
        if (k <= 32) return nextUInt32() >>> (32 - k);
        long low = nextUInt32();
        long high = nextUInt32() >>> (64 - k);
        return (high << 32) | low;
    }

    /** {@code _randbelow(n)}: uniform in [0, n) by rejection on bitLength(n) bits. */
    public long randbelow(long n) {
        if (n <= 0) throw new IllegalArgumentException("randbelow(" + n + "): n must be positive");
        int k = 64 - Long.numberOfLeadingZeros(n);
        long r = getrandbits(k);
        while (r >= n) r = getrandbits(k); // both non-negative: k <= 63 for a positive long
        return r;
    }

    /** {@code randint(a, b)}: uniform in [a, b], both inclusive. */
    public long randint(long a, long b) {
        if (b < a) throw new IllegalArgumentException("randint(" + a + ", " + b + "): empty range");
        long width = b - a + 1;
        if (width <= 0) throw new IllegalArgumentException("randint(" + a + ", " + b + "): range wider than 2^63-1");
        return a + randbelow(width);
    }

    /** {@code random()}: a 53-bit float in [0, 1). */
    public double random() {
        long a = nextUInt32() >>> 5;
        long b = nextUInt32() >>> 6;
        return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
    }

    /** {@code shuffle(x)}: for i from len-1 down to 1, swap x[i] with x[randbelow(i + 1)]. */
    public void shuffle(int[] x) {
        for (int i = x.length - 1; i > 0; i--) {
            int j = (int) randbelow(i + 1);
            int t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
    }

    public <T> void shuffle(List<T> x) {
        for (int i = x.size() - 1; i > 0; i--) {
            int j = (int) randbelow(i + 1);
            x.set(i, x.set(j, x.get(i)));
        }
    }
}
