package dev.mixprune.allocate;

import java.util.ArrayList;
import java.util.List;

/** Seed genomes for the search: Fisher plans at a spread of strengths, or random ones for the ablation. */
public final class InitialPopulation {
    private InitialPopulation() {}

    /** Strengths a of s_g = s - a z_g (design.md: 0.05 good, 0.1 too strong at block level; the search refines). */
    public static final double[] DEFAULT_STRENGTHS = {0.0125, 0.025, 0.05, 0.075, 0.1, 0.15};

    public static List<int[]> fisher(Budget budget, double[] z, double[] strengths) {
        List<int[]> out = new ArrayList<>();
        for (double a : strengths) out.add(FisherAllocator.genome(budget, z, a));
        return out;
    }

    /** Uniformly random levels per gene, repaired to the budget. */
    public static List<int[]> random(Budget budget, int count, long seed) {
        Rng rng = new Rng(seed ^ 0x7A3D_1B2C_55AAL);
        SearchSpace sp = budget.space();
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] g = new int[sp.geneCount()];
            for (int j = 0; j < g.length; j++) g[j] = rng.nextInt(sp.levels().count());
            out.add(budget.repair(g, rng));
        }
        return out;
    }
}
