package dev.mixprune.prune;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.function.Consumer;
import java.util.Locale;

/** Progress of a sequential pruning run (per block) and warnings. */
public interface PruneListener {
    default void blockStarted(int block, int nBlocks) { }

    /** Layer {@code report.id()} is pruned (called in block order, before its block finishes). */
    default void layerPruned(PruneResult.LayerReport report) { }

    default void blockFinished(PruneResult.BlockReport report, int nBlocks) { }

    default void warning(String message) { }

    PruneListener NONE = new PruneListener() { };

    /** One line per finished block, warnings prefixed, on the given stream (stderr in the CLI). */
    static PruneListener printingTo(PrintStream out) {
        return lines(line -> { out.println(line); out.flush(); });
    }

    static PruneListener printingTo(PrintWriter out) {
        return lines(line -> { out.println(line); out.flush(); });
    }

    /** One progress line per finished block and one per warning, to a line sink. */
    static PruneListener lines(Consumer<String> sink) {
        return new PruneListener() {
            @Override public void blockFinished(PruneResult.BlockReport r, int nBlocks) {
                sink.accept(String.format(Locale.ROOT, "prune: block %d/%d done in %.2f s (read/write %.2f s, stats %.2f s, prune %.2f s, propagate %.2f s), block sparsity %.4f",
                        r.block() + 1, nBlocks, r.totalSeconds(), r.ioSeconds(), r.statsSeconds(), r.pruneSeconds(), r.propagateSeconds(), r.sparsity()));
            }

            @Override public void warning(String message) { sink.accept("prune: warning: " + message); }
        };
    }
}
