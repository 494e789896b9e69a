package dev.mixprune.prune;

import java.util.Locale;

/** The pruning metrics (docs/algorithms.md sections 2-4) and what calibration statistics each needs. */
public enum PruneMethod {
    /** |W| only: needs no data. */
    MAGNITUDE,
    /** |W| * ||X_j||: needs per-input activation norms. */
    WANDA,
    /** OBS with lazy updates: needs the Hessian (2/N) sum x x^T. */
    SPARSEGPT;

    public boolean needsActivations() { return this != MAGNITUDE; }

    public boolean needsHessian() { return this == SPARSEGPT; }

    /**
     * Exact number of weights this method zeroes when it prunes a rows x cols matrix with
     * {@code pattern}: what the search's budget must count so that a plan's achieved sparsity is
     * the one budgeted. N:M is the same group rule for every method ({@link Pattern#prunedCount});
     * unstructured ratios differ in their comparison group ({@link MaskRule}, {@link SparseGptPruner}):
     * Wanda floor(cols*s) per row, magnitude floor(rows*cols*s) per matrix, SparseGPT
     * floor(rows*width*s) per column block of {@link SparseGptOptions#defaults()}.
     */
    public long prunedCount(Pattern pattern, int rows, int cols) {
        if (!(pattern instanceof Pattern.Unstructured u)) return pattern.prunedCount(rows, cols);
        return switch (this) {
            case WANDA -> rows * (long) Math.floor(cols * u.sparsity());                 // MaskRule Group.ROW
            case MAGNITUDE -> (long) Math.floor((double) rows * cols * u.sparsity());   // MaskRule Group.MATRIX
            case SPARSEGPT -> {
                int width = SparseGptOptions.defaults().blockWidth(pattern);
                long k = 0;
                for (int c = 0; c < cols; c += width) k += SparseGptPruner.unstructuredCount(rows, Math.min(width, cols - c), u.sparsity());
                yield k;
            }
        };
    }

    public String cliName() { return name().toLowerCase(Locale.ROOT); }

    public static PruneMethod parse(String s) {
        for (PruneMethod m : values()) if (m.cliName().equalsIgnoreCase(s.trim())) return m;
        throw new IllegalArgumentException("unknown pruning method '" + s + "', expected magnitude, wanda or sparsegpt");
    }
}
