package dev.mixprune.allocate;

import dev.mixprune.BadInputException;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.SparsityPlan;

import java.util.Map;

/**
 * Fisher traces mapped straight to levels, without search: s_g = s - a * z_g, where z is the
 * standardised log sensitivity of gene g (more sensitive, less sparse). Block genes use the
 * log of the block's trace sum; layer genes the log of the per-parameter density F_l / numel_l
 * (a layer's trace grows with its size, which says nothing about how much a weight matters).
 */
public final class FisherAllocator {
    private FisherAllocator() {}

    /** design.md: a = 0.05 worked at block level on stories260K, 0.1 did not. */
    public static final double DEFAULT_STRENGTH = 0.05;
    /** Measured (docs/msp.md): block genes 235.4 ppl vs layer genes 271.7 (uniform 253.3), Wanda 75%. */
    public static final Granularity DEFAULT_GRANULARITY = Granularity.BLOCK;

    /** Standardised log sensitivity per gene (mean 0, population standard deviation 1; all 0 when flat). */
    public static double[] zScores(SearchSpace space, Map<LayerId, Double> traces) {
        LlamaConfig c = space.config();
        double[] t = new double[space.geneCount()];
        for (int g = 0; g < t.length; g++) {
            double sum = 0;
            for (LayerId id : space.layersOf(g)) {
                Double f = traces.get(id);
                if (f == null) throw new BadInputException("Fisher sensitivities have no value for layer " + id);
                if (!(f >= 0) || Double.isInfinite(f)) throw new BadInputException("Fisher trace of " + id + " must be finite and >= 0, got " + f);
                sum += f;
            }
            double v = space.granularity() == Granularity.BLOCK ? sum : sum / c.weightsOf(space.layersOf(g).get(0).kind());
            t[g] = Math.log(Math.max(v, Double.MIN_NORMAL));
        }
        double mean = 0;
        for (double v : t) mean += v;
        mean /= t.length;
        double var = 0;
        for (double v : t) var += (v - mean) * (v - mean);
        double sd = Math.sqrt(var / t.length);
        double[] z = new double[t.length];
        if (sd > 0) for (int g = 0; g < t.length; g++) z[g] = (t[g] - mean) / sd;
        return z;
    }

    /**
     * Per gene, the standardised log trace of the gene's BLOCK (z over blocks, broadcast to the
     * block's genes). design.md: block-level Fisher allocation helped Wanda on stories260K where
     * per-layer density did not, so layer-granularity searches get these seeds too.
     */
    public static double[] blockZScores(SearchSpace space, Map<LayerId, Double> traces) {
        SearchSpace blocks = new SearchSpace(space.config(), space.levels(), Granularity.BLOCK, space.method());
        double[] zb = zScores(blocks, traces);
        double[] z = new double[space.geneCount()];
        for (int g = 0; g < z.length; g++) z[g] = zb[space.layersOf(g).get(0).block()];
        return z;
    }

    /** Genome for strength a: s - a z, snapped to levels and repaired to the budget. */
    public static int[] genome(Budget budget, double[] z, double strength) {
        double[] want = new double[z.length];
        for (int g = 0; g < z.length; g++) want[g] = budget.target() - strength * z[g];
        return budget.roundToLevels(want);
    }

    public static SparsityPlan plan(Budget budget, Map<LayerId, Double> traces, double strength) {
        return budget.space().toPlan(genome(budget, zScores(budget.space(), traces), strength), "fisher");
    }
}
