package dev.mixprune.allocate;

import dev.mixprune.model.BlockForward;
import dev.mixprune.model.InputGroup;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.prune.InputStats;
import dev.mixprune.prune.SparseGptOptions;
import dev.mixprune.prune.SparseGptPruner;
import dev.mixprune.tensor.Matrix;

import java.util.List;
import java.util.function.Consumer;

/**
 * The SparseGPT level pruner for {@link LevelDatabase} (algorithms.md §6.1): Hessians from DENSE
 * propagation over the statistic windows (one {@link InputStats} with Gram matrix per block and
 * input group), and every level pruned from the same dense weights and the same H.
 */
public final class SparseGptLevels {
    private SparseGptLevels() {}

    public static LevelDatabase.LayerLevelPruner pruner(LlamaWeights dense, List<int[]> windows, Consumer<String> warnings) {
        LlamaConfig c = dense.config();
        int seqLen = windows.get(0).length;
        int nSeq = windows.size();
        for (int[] w : windows) if (w.length != seqLen) throw new IllegalArgumentException("statistic windows must have equal length");
        InputStats[][] st = new InputStats[c.nLayers()][InputGroup.values().length];
        for (int b = 0; b < c.nLayers(); b++) {
            for (InputGroup g : InputGroup.values()) st[b][g.ordinal()] = new InputStats(g == InputGroup.FFN_MID ? c.hiddenDim() : g == InputGroup.ATTN_OUT ? c.qDim() : c.dim(), true);
        }
        Matrix x = new Matrix(nSeq * seqLen, c.dim());
        Matrix emb = dense.tokenEmbedding();
        for (int s = 0; s < nSeq; s++) {
            for (int t = 0; t < seqLen; t++) {
                System.arraycopy(emb.data(), emb.offset(windows.get(s)[t]), x.data(), (s * seqLen + t) * c.dim(), c.dim());
            }
        }
        for (int b = 0; b < c.nLayers(); b++) {
            x = BlockForward.forward(c, dense.block(b), b, x, nSeq, seqLen, (blk, g, m) -> st[blk][g.ordinal()].add(m, nSeq, seqLen));
        }
        SparseGptPruner sgpt = new SparseGptPruner(SparseGptOptions.defaults().withWarnings(warnings));
        return (id, w, pattern) -> {
            Matrix m = w.copy();
            sgpt.prune(m, pattern, st[id.block()][id.kind().input().ordinal()]);
            return m;
        };
    }
}
