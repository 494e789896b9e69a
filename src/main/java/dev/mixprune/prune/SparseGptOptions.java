package dev.mixprune.prune;

import java.util.function.Consumer;

/**
 * SparseGPT settings (docs/algorithms.md 4): column block size (128), relative damping
 * (0.01 of mean diag H), how many times the damping may be raised x10 when the Cholesky fails,
 * where such warnings go, and where the time of each layer's two phases goes (for benchmarks).
 */
public record SparseGptOptions(int blockSize, double percDamp, int maxDampRetries, Consumer<String> warnings, PhaseTimes phaseTimes) {

    /** Receives, per pruned layer, the seconds spent factoring (damping + U) and sweeping the columns. */
    @FunctionalInterface
    public interface PhaseTimes {
        void layer(int rows, int cols, double factorSeconds, double sweepSeconds);

        PhaseTimes NONE = (r, c, f, s) -> { };
    }

    public SparseGptOptions {
        if (blockSize < 1) throw new IllegalArgumentException("block size must be >= 1, got " + blockSize);
        if (!(percDamp >= 0)) throw new IllegalArgumentException("damping must be >= 0, got " + percDamp);
        if (maxDampRetries < 0) throw new IllegalArgumentException("retries must be >= 0");
        if (warnings == null) warnings = msg -> { };
        if (phaseTimes == null) phaseTimes = PhaseTimes.NONE;
    }

    public static SparseGptOptions defaults() {
        return new SparseGptOptions(128, 0.01, 12, msg -> System.err.println("warning: " + msg), PhaseTimes.NONE);
    }

    public SparseGptOptions withWarnings(Consumer<String> w) { return new SparseGptOptions(blockSize, percDamp, maxDampRetries, w, phaseTimes); }

    public SparseGptOptions withPhaseTimes(PhaseTimes t) { return new SparseGptOptions(blockSize, percDamp, maxDampRetries, warnings, t); }

    /** Column block width for a pattern: a multiple of M for N:M so that groups never straddle blocks. */
    int blockWidth(Pattern p) {
        if (p instanceof Pattern.NM nm) return Math.max(nm.m(), (blockSize / nm.m()) * nm.m());
        return blockSize;
    }
}
