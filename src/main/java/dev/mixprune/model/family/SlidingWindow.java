package dev.mixprune.model.family;

/**
 * Sliding-window attention is not implemented: a window that covers the whole context is the same
 * as full attention and is accepted; a shorter one is refused with the file and field named.
 */
final class SlidingWindow {
    private SlidingWindow() {}

    static void requireCoversContext(HfConfig cfg) {
        Object w = cfg.raw("sliding_window");
        if (w == null) return;
        int context = cfg.positiveInt("max_position_embeddings", 2048);
        if (!(w instanceof Integer window) || window <= 0) throw cfg.bad("field sliding_window: expected null or a positive integer, found " + w);
        if (window < context) {
            throw cfg.bad("field sliding_window: " + window + " is shorter than the context (max_position_embeddings " + context
                    + "); sliding-window attention is not supported");
        }
    }
}
