package dev.mixprune.data;

import dev.mixprune.BadInputException;

import java.util.Arrays;

/**
 * Calibration windows per docs/protocols.md C: with Python's {@code random.seed(seed)}, for each
 * sample {@code s = randint(0, N - seqlen - 1)} and the window is {@code ids[s : s + seqlen]}.
 * Windows may overlap and repeat, and may start at a BOS. The record is immutable (arrays are
 * copied in and out); the manifest records seed, nsamples, seqlen and {@link #offsets()}.
 */
public record CalibrationWindows(long seed, int nsamples, int seqlen, int[] offsets, int[][] windows) {
    public static final int DEFAULT_NSAMPLES = 128;
    public static final long DEFAULT_SEED = 0;

    public CalibrationWindows {
        if (offsets.length != nsamples || windows.length != nsamples) {
            throw new IllegalArgumentException(nsamples + " samples but " + offsets.length + " offsets and " + windows.length + " windows");
        }
        offsets = offsets.clone();
        int[][] copy = new int[nsamples][];
        for (int i = 0; i < nsamples; i++) {
            if (windows[i].length != seqlen) throw new IllegalArgumentException("window " + i + " has " + windows[i].length + " tokens, expected " + seqlen);
            copy[i] = windows[i].clone();
        }
        windows = copy;
    }

    /**
     * Draws {@code nsamples} windows of {@code seqlen} tokens from {@code stream}.
     *
     * @throws BadInputException if nsamples or seqlen is not positive, or the stream has fewer than
     *                           seqlen + 1 tokens (the draw needs N - seqlen - 1 >= 0)
     */
    public static CalibrationWindows sample(TokenStream stream, int nsamples, int seqlen, long seed) {
        if (nsamples <= 0) throw new BadInputException("nsamples: " + nsamples + " calibration samples requested, expected at least 1");
        if (seqlen <= 0) throw new BadInputException("seqlen: " + seqlen + ", expected a positive window length");
        long n = stream.length();
        if (n < (long) seqlen + 1) {
            throw new BadInputException("calibration text: " + n + " tokens (" + stream.documents() + " documents), expected at least seqlen + 1 = "
                    + ((long) seqlen + 1) + " tokens to draw windows of " + seqlen);
        }
        PythonRandom random = new PythonRandom(seed);
        int[] offsets = new int[nsamples];
        int[][] windows = new int[nsamples][];
        for (int i = 0; i < nsamples; i++) {
            offsets[i] = (int) random.randint(0, n - seqlen - 1);
            windows[i] = stream.slice(offsets[i], seqlen);
        }
        return new CalibrationWindows(seed, nsamples, seqlen, offsets, windows);
    }

    @Override
    public int[] offsets() { return offsets.clone(); }

    /** Deep copy of all windows; prefer {@link #window(int)} for one. */
    @Override
    public int[][] windows() {
        int[][] copy = new int[nsamples][];
        for (int i = 0; i < nsamples; i++) copy[i] = windows[i].clone();
        return copy;
    }

    public int offset(int i) { return offsets[i]; }

    public int[] window(int i) { return windows[i].clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof CalibrationWindows c && c.seed == seed && c.nsamples == nsamples && c.seqlen == seqlen
                && Arrays.equals(c.offsets, offsets) && Arrays.deepEquals(c.windows, windows);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(offsets) * 31 + Arrays.deepHashCode(windows); }

    @Override
    public String toString() {
        return "CalibrationWindows[seed=" + seed + ", nsamples=" + nsamples + ", seqlen=" + seqlen + ", offsets="
                + Arrays.toString(Arrays.copyOf(offsets, Math.min(8, nsamples))) + (nsamples > 8 ? "..." : "") + "]";
    }
}
