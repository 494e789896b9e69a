package dev.mixprune.allocate;

import dev.mixprune.io.BlockSource;
import dev.mixprune.model.InputGroup;
import dev.mixprune.prune.InputStats;
import dev.mixprune.resources.HeapGuard;

import java.util.List;
import java.util.Map;

/**
 * Wanda's per-column activation statistic scaler_row_j (algorithms.md §3.1: the running mean over
 * sequences of sum_t x_tj², as {@link InputStats#scalerRow()} accumulates it for the pruner) for
 * every block and input group, from DENSE propagation (as OWL's pass 1 and the search's seeds need).
 * Layers of one {@link InputGroup} share it. Collected block by block from a {@link BlockSource} by
 * {@link DenseStatistics}: only one block's weights are in memory at a time, and the scalers
 * themselves are small (4 vectors per block).
 */
public record WandaScalers(float[][][] values) { // [block][InputGroup.ordinal()][in_features]

    public float[] of(int block, InputGroup g) { return values[block][g.ordinal()]; }

    /** One block's scalers [InputGroup.ordinal()][in_features] from its statistics, rounded to float. */
    public static float[][] ofBlock(Map<InputGroup, InputStats> stats) {
        float[][] out = new float[InputGroup.values().length][];
        for (InputGroup g : InputGroup.values()) {
            double[] sr = stats.get(g).scalerRow();
            float[] f = new float[sr.length];
            for (int j = 0; j < f.length; j++) f[j] = (float) sr[j];
            out[g.ordinal()] = f;
        }
        return out;
    }

    /** Dense forward over equal-length windows, block by block from {@code source}, capturing every linear's input. */
    public static WandaScalers collect(BlockSource source, List<int[]> windows, int chunkSequences, HeapGuard guard) {
        float[][][] v = new float[source.config().nLayers()][][];
        DenseStatistics.run(source, windows, false, chunkSequences, guard, (b, dense, stats) -> v[b] = ofBlock(stats));
        return new WandaScalers(v);
    }
}
