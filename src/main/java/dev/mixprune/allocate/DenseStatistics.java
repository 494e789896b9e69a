package dev.mixprune.allocate;

import dev.mixprune.io.BlockSource;
import dev.mixprune.model.ActivationCapture;
import dev.mixprune.model.BlockForward;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.InputGroup;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.InputStats;
import dev.mixprune.resources.HeapGuard;
import dev.mixprune.tensor.Matrix;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Statistics of every linear input from DENSE propagation (the search's candidates and seeds are
 * built from the dense model, algorithms.md §6.1), block by block from a {@link BlockSource}: the
 * residual stream of the windows goes through one block at a time, in chunks of sequences, and each
 * block's {@link InputStats} (Wanda's scaler rows, optionally the Gram matrices) are handed to the
 * consumer while that block is in memory, then dropped. Nothing holds more than one block's
 * weights and statistics.
 */
public final class DenseStatistics {
    private DenseStatistics() {}

    /** Receives block b's dense weights (read only: do not modify) and statistics, in block order. */
    @FunctionalInterface
    public interface Consumer {
        void accept(int block, BlockWeights dense, Map<InputGroup, InputStats> stats);
    }

    /** Bytes alive during the pass besides one block: the residual stream, one chunk's forward temporaries, one block's statistics. */
    public static long bytes(LlamaConfig c, int windows, int seqLen, int chunkSequences, boolean gram) {
        long tokens = (long) windows * seqLen, chunk = (long) Math.min(chunkSequences, windows) * seqLen;
        long residual = 4L * tokens * c.dim();
        long forward = 4L * chunk * (6L * c.dim() + 3L * c.hiddenDim() + 2L * c.kvDim());
        long stats = 8L * (3L * c.dim() + c.hiddenDim()) + (gram ? 4L * (3L * c.dim() * c.dim() + (long) c.hiddenDim() * c.hiddenDim()) : 0);
        return residual + forward + stats;
    }

    public static void run(BlockSource source, List<int[]> windows, boolean gram, int chunkSequences, HeapGuard guard, Consumer consumer) {
        LlamaConfig c = source.config();
        if (windows.isEmpty()) throw new IllegalArgumentException("no statistic windows");
        int seqLen = windows.get(0).length;
        for (int[] w : windows) if (w.length != seqLen) throw new IllegalArgumentException("statistic windows must have equal length");
        List<Matrix> chunks = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        for (int s = 0; s < windows.size(); s += chunkSequences) {
            int n = Math.min(chunkSequences, windows.size() - s);
            chunks.add(source.embed(windows.subList(s, s + n), seqLen));
            sizes.add(n);
        }
        for (int b = 0; b < c.nLayers(); b++) {
            BlockWeights bw = source.block(b);
            Map<InputGroup, InputStats> stats = new EnumMap<>(InputGroup.class);
            for (LayerKind k : LayerKind.values()) stats.computeIfAbsent(k.input(), g -> new InputStats(c.colsOf(k), gram));
            for (int i = 0; i < chunks.size(); i++) {
                int nSeq = sizes.get(i);
                ActivationCapture capture = (blk, group, input) -> stats.get(group).add(input, nSeq, seqLen);
                chunks.set(i, BlockForward.forward(c, bw, b, chunks.get(i), nSeq, seqLen, capture));
                guard.check();
            }
            consumer.accept(b, bw, stats);
            stats.clear();
            source.release(bw);
            guard.check();
        }
    }
}
