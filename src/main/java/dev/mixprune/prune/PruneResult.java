package dev.mixprune.prune;

import dev.mixprune.model.LayerId;

import java.util.List;

/**
 * Outcome of a sequential pruning run: per-layer achieved sparsity (a recount of zeros after
 * pruning), per-block timings, and per-layer reconstruction error ||W X - W' X||^2 on the layer's
 * calibration inputs (NaN when it was not asked for).
 */
public record PruneResult(PruneMethod method, Propagation propagation, List<LayerReport> layers, List<BlockReport> blocks) {

    public PruneResult {
        layers = List.copyOf(layers);
        blocks = List.copyOf(blocks);
    }

    public record LayerReport(LayerId id, Pattern pattern, long zeros, long weights, double reconstructionError) {
        public double sparsity() { return (double) zeros / weights; }
    }

    /**
     * @param ioSeconds reading the block from its source and handing it to the sink (streaming: the
     *                  file read, dequantization and the write of the pruned block; 0 in memory)
     */
    public record BlockReport(int block, double ioSeconds, double statsSeconds, double pruneSeconds, double propagateSeconds, long zeros, long weights) {
        public BlockReport(int block, double statsSeconds, double pruneSeconds, double propagateSeconds, long zeros, long weights) {
            this(block, 0, statsSeconds, pruneSeconds, propagateSeconds, zeros, weights);
        }

        public double totalSeconds() { return ioSeconds + statsSeconds + pruneSeconds + propagateSeconds; }
        public double sparsity() { return (double) zeros / weights; }
    }

    public long zeros() { return layers.stream().mapToLong(LayerReport::zeros).sum(); }

    public long weights() { return layers.stream().mapToLong(LayerReport::weights).sum(); }

    /** Parameter-weighted sparsity over the prunable set (protocols.md S). */
    public double overallSparsity() { return (double) zeros() / weights(); }

    public LayerReport layer(LayerId id) {
        return layers.stream().filter(l -> l.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no report for " + id));
    }
}
