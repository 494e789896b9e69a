package dev.mixprune.prune;

/**
 * What feeds block i+1 during sequential pruning (docs/algorithms.md 1.2): the re-run output of
 * the PRUNED block i (Wanda/SparseGPT default), or the DENSE output of block i captured before
 * pruning (OWL statistics pass, EvoPress level database).
 */
public enum Propagation {
    PRUNED, DENSE;

    public static Propagation parse(String s) {
        return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "pruned" -> PRUNED;
            case "dense" -> DENSE;
            default -> throw new IllegalArgumentException("unknown propagation '" + s + "', expected pruned or dense");
        };
    }
}
