package dev.mixprune.allocate;

import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.prune.SparsityPlan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Genes of one model: which layers each gene controls (granularity) and the exact number of
 * weights every level of every gene prunes with the pruning method that will apply the plan
 * ({@link PruneMethod#prunedCount}: short N:M tails counted, and each method's own unstructured
 * comparison group, so that the budget holds the plan's ACHIEVED sparsity, not its nominal one).
 * A genome is an int[] of level indices, one per gene.
 */
public final class SearchSpace {
    private final LlamaConfig config;
    private final Levels levels;
    private final Granularity granularity;
    private final PruneMethod method;
    private final List<List<LayerId>> genes;
    private final long[][] pruned; // [gene][level]
    private final long[] weights;  // [gene]
    private final long total;

    /** Counted as Wanda prunes (per-row floor; {@link Pattern#prunedCount}, the count of {@link SparsityPlan#expectedSparsity}). */
    public SearchSpace(LlamaConfig config, Levels levels, Granularity granularity) {
        this(config, levels, granularity, PruneMethod.WANDA);
    }

    /** Counted as {@code method} prunes. */
    public SearchSpace(LlamaConfig config, Levels levels, Granularity granularity, PruneMethod method) {
        this.config = config;
        this.method = method;
        this.levels = levels;
        this.granularity = granularity;
        Map<Integer, List<LayerId>> byGene = new LinkedHashMap<>();
        List<LayerId> all = LayerId.all(config);
        for (int i = 0; i < all.size(); i++) {
            LayerId id = all.get(i);
            int g = granularity == Granularity.LAYER ? i : id.block();
            byGene.computeIfAbsent(g, k -> new ArrayList<>()).add(id);
        }
        this.genes = List.copyOf(byGene.values().stream().map(List::copyOf).toList());
        this.pruned = new long[genes.size()][levels.count()];
        this.weights = new long[genes.size()];
        long t = 0;
        for (int g = 0; g < genes.size(); g++) {
            for (LayerId id : genes.get(g)) {
                int r = config.rowsOf(id.kind()), c = config.colsOf(id.kind());
                weights[g] += (long) r * c;
                for (int l = 0; l < levels.count(); l++) pruned[g][l] += method.prunedCount(levels.pattern(l), r, c);
            }
            t += weights[g];
        }
        this.total = t;
    }

    public LlamaConfig config() { return config; }
    public Levels levels() { return levels; }
    public Granularity granularity() { return granularity; }
    /** The method whose exact counts this space holds. */
    public PruneMethod method() { return method; }
    public int geneCount() { return genes.size(); }
    public List<LayerId> layersOf(int gene) { return genes.get(gene); }
    public long weightsOf(int gene) { return weights[gene]; }
    /** Weights of the whole prunable set. */
    public long total() { return total; }
    public int maxLevel() { return levels.maxLevel(); }

    /** Exact number of weights gene {@code gene} prunes at {@code level}. */
    public long prunedCount(int gene, int level) { return pruned[gene][level]; }

    public long prunedCount(int[] genome) {
        check(genome);
        long p = 0;
        for (int g = 0; g < genome.length; g++) p += pruned[g][genome[g]];
        return p;
    }

    /** Parameter-weighted achieved sparsity over the prunable set. */
    public double sparsity(int[] genome) { return (double) prunedCount(genome) / total; }

    /** Index of the gene that controls a layer. */
    public int geneOf(LayerId id) {
        return granularity == Granularity.LAYER ? id.block() * 7 + id.kind().ordinal() : id.block();
    }

    public SparsityPlan toPlan(int[] genome, String allocation) {
        check(genome);
        Map<LayerId, Pattern> m = new LinkedHashMap<>();
        for (int g = 0; g < genome.length; g++) for (LayerId id : genes.get(g)) m.put(id, levels.pattern(genome[g]));
        return new SparsityPlan(allocation, SparsityPlan.ModelShape.of(config), m);
    }

    public void check(int[] genome) {
        if (genome.length != genes.size()) throw new IllegalArgumentException("genome has " + genome.length + " genes, space has " + genes.size());
        for (int v : genome) if (v < 0 || v > levels.maxLevel()) throw new IllegalArgumentException("level " + v + " outside 0.." + levels.maxLevel());
    }

    /** Short description used to tie checkpoints to the space they were made in. */
    public String describe() {
        return "levels=" + levels.name() + ",granularity=" + granularity.name().toLowerCase() + ",genes=" + genes.size() + ",total=" + total
                + (method == PruneMethod.WANDA ? "" : ",counts=" + method.cliName());
    }
}
