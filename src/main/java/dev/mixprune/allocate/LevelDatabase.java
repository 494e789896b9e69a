package dev.mixprune.allocate;

import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.prune.Pattern;
import dev.mixprune.tensor.Matrix;

import java.util.List;

/**
 * EvoPress's level database (algorithms.md §6.1) for methods whose masks are not a threshold on
 * fixed ranks (SparseGPT updates the kept weights): every layer is pruned once per level, from the
 * same dense weights and the same dense-propagated statistics, and candidates are assembled from
 * the stored copies. Memory: levels x prunable weights floats (stories260K, 40 levels: 36 MB).
 */
public final class LevelDatabase {
    /** Prunes one layer to one pattern; returns a new matrix and leaves {@code dense} untouched. */
    @FunctionalInterface
    public interface LayerLevelPruner { Matrix prune(LayerId id, Matrix dense, Pattern pattern); }

    private final SearchSpace space;
    private final Matrix[][] pruned; // [layer index][level]

    private LevelDatabase(SearchSpace space, Matrix[][] pruned) {
        this.space = space;
        this.pruned = pruned;
    }

    public static LevelDatabase build(LlamaWeights dense, SearchSpace space, LayerLevelPruner pruner) {
        List<LayerId> ids = LayerId.all(dense.config());
        Matrix[][] p = new Matrix[ids.size()][space.levels().count()];
        for (int i = 0; i < ids.size(); i++) {
            Matrix d = dense.linear(ids.get(i));
            for (int l = 0; l < space.levels().count(); l++) {
                Matrix m = pruner.prune(ids.get(i), d, space.levels().pattern(l));
                if (m == d || m.rows() != d.rows() || m.cols() != d.cols()) {
                    throw new IllegalStateException("level pruner must return a new " + d.shape() + " matrix for " + ids.get(i));
                }
                p[i][l] = m;
            }
        }
        return new LevelDatabase(space, p);
    }

    public SearchSpace space() { return space; }

    /** The stored pruned copy (shared: callers must not modify it). */
    public Matrix get(LayerId id, int level) {
        return pruned[id.block() * 7 + id.kind().ordinal()][level];
    }
}
