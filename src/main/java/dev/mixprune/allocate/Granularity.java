package dev.mixprune.allocate;

import java.util.Locale;

/** What one gene of a plan controls: a single prunable layer, or all seven layers of a block. */
public enum Granularity {
    LAYER, BLOCK;

    public static Granularity parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "layer" -> LAYER;
            case "block" -> BLOCK;
            default -> throw new IllegalArgumentException("granularity must be 'layer' or 'block', got '" + s + "'");
        };
    }
}
