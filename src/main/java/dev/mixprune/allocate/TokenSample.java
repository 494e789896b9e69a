package dev.mixprune.allocate;

/**
 * A minibatch of fitness tokens: window indices into the fitness pool and how many leading tokens
 * of each are used (the last window is truncated to hit the stage's token count exactly).
 */
public record TokenSample(int[] windows, int[] lengths) {
    public TokenSample {
        if (windows.length != lengths.length) throw new IllegalArgumentException("windows and lengths differ in size");
        windows = windows.clone();
        lengths = lengths.clone();
    }

    public int tokens() {
        int t = 0;
        for (int l : lengths) t += l;
        return t;
    }

    /**
     * Draws windows uniformly without repetition until {@code tokens} tokens (EvoPress: a fresh draw
     * per selection stage); the last is truncated, and a truncated tail shorter than 2 tokens is
     * dropped because it predicts nothing.
     */
    public static TokenSample draw(int poolSize, int windowLength, int tokens, Rng rng) {
        int n = Math.min(poolSize, (tokens + windowLength - 1) / windowLength);
        int[] idx = new int[poolSize];
        for (int i = 0; i < poolSize; i++) idx[i] = i;
        int[] w = new int[n];
        int[] len = new int[n];
        int left = tokens, used = 0;
        for (int i = 0; i < n && left > 0; i++) {
            int j = i + rng.nextInt(poolSize - i); // partial Fisher-Yates
            int tmp = idx[i]; idx[i] = idx[j]; idx[j] = tmp;
            int l = Math.min(windowLength, left);
            if (l < 2) break;
            w[used] = idx[i];
            len[used] = l;
            used++;
            left -= l;
        }
        return new TokenSample(java.util.Arrays.copyOf(w, used), java.util.Arrays.copyOf(len, used));
    }
}
