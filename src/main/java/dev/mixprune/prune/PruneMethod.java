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

    public String cliName() { return name().toLowerCase(Locale.ROOT); }

    public static PruneMethod parse(String s) {
        for (PruneMethod m : values()) if (m.cliName().equalsIgnoreCase(s.trim())) return m;
        throw new IllegalArgumentException("unknown pruning method '" + s + "', expected magnitude, wanda or sparsegpt");
    }
}
