package dev.mixprune.allocate;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.io.BlockSource;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.SparsityPlan;
import dev.mixprune.tensor.Matrix;

import dev.mixprune.resources.HeapGuard;

import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OWL (docs/algorithms.md §5): a block with more Wanda-score outliers gets a lower sparsity.
 * Outlier ratio D_l = 100 * count(A > M * mean(A)) / numel(A) over the pooled scores
 * A = |W| * sqrt(scaler_row) of the block's 7 linears, from dense-propagated statistics.
 */
public final class OwlAllocator {
    private OwlAllocator() {}

    public static final double DEFAULT_LAMBDA = 0.08;
    public static final double DEFAULT_M = 5;
    /** Lambda of the N:M variant, in units of kept weights per group (OWL README: 2). */
    public static final double DEFAULT_NM_LAMBDA = 2;
    /** Outlier threshold M of the reference's N:M example (README "5:8": Lamda 2, Hyper_m 6; docs/algorithms.md §5.4). */
    public static final double DEFAULT_NM_M = 6;

    /**
     * D_l in percent for every block, from one dense pass streamed block by block from
     * {@code source} (each block's ratio is taken while it is in memory, with its own scalers).
     */
    public static double[] outlierRatios(BlockSource source, List<int[]> windows, double hyperM, int chunkSequences, HeapGuard guard) {
        double[] d = new double[source.config().nLayers()];
        float[][][] scalers = new float[d.length][][];
        DenseStatistics.run(source, windows, false, chunkSequences, guard, (b, dense, stats) -> {
            scalers[b] = WandaScalers.ofBlock(stats);
            d[b] = outlierRatio(dense, new WandaScalers(scalers), b, hyperM);
        });
        return d;
    }

    static double outlierRatio(BlockWeights bw, WandaScalers scalers, int block, double hyperM) {
        double sum = 0;
        long n = 0;
        for (LayerKind k : LayerKind.values()) {
            Matrix m = bw.linear(k);
            float[] s = scalers.of(block, k.input());
            for (int r = 0; r < m.rows(); r++) for (int c = 0; c < m.cols(); c++) sum += score(m, s, r, c);
            n += m.size();
        }
        double thr = hyperM * (sum / n);
        long count = 0;
        for (LayerKind k : LayerKind.values()) {
            Matrix m = bw.linear(k);
            float[] s = scalers.of(block, k.input());
            for (int r = 0; r < m.rows(); r++) for (int c = 0; c < m.cols(); c++) if (score(m, s, r, c) > thr) count++;
        }
        return 100.0 * count / n;
    }

    private static double score(Matrix m, float[] scaler, int r, int c) {
        return Math.abs(m.get(r, c)) * Math.sqrt(scaler[c]);
    }

    /**
     * r - mean(r) for r = (D - min D)/(max D - min D) * span: the outlier ratios mapped onto
     * [0, span] and centred, shared by §5.2 and §5.4. Null when all D are equal (no spread to scale).
     */
    private static double[] centeredScaled(double[] d, double span) {
        double min = Arrays.stream(d).min().orElseThrow(), max = Arrays.stream(d).max().orElseThrow();
        if (max - min <= 0) return null;
        double[] r = new double[d.length];
        for (int i = 0; i < d.length; i++) r[i] = (d[i] - min) / (max - min) * span;
        double mean = Arrays.stream(r).average().orElseThrow();
        for (int i = 0; i < d.length; i++) r[i] -= mean;
        return r;
    }

    /**
     * §5.2: r = (D - min D)/(max D - min D) * 2 lambda; r = r - mean(r) + (1 - s); s_l = 1 - r
     * (0.01 when not positive). Equal D everywhere (the reference would divide by zero) gives s.
     */
    public static double[] blockSparsities(double[] d, double s, double lambda) {
        double[] out = new double[d.length];
        double[] centered = centeredScaled(d, 2 * lambda);
        if (centered == null) {
            Arrays.fill(out, s);
            return out;
        }
        for (int i = 0; i < d.length; i++) {
            double density = centered[i] + (1 - s);
            out[i] = 1 - density;
            if (out[i] <= 0) out[i] = 0.01;
        }
        return out;
    }

    /**
     * §5.4, mixed N:M: z = round((D - min)/(max - min) * lambda - mean(...)); the reference's
     * "prune_n - z" counts PRUNED weights, so in our kept-N convention a block keeps N + z (more
     * outliers, more kept), clamped to 1..M-1.
     */
    public static int[] blockKeptNM(double[] d, int keptN, int m, double lambda) {
        int[] out = new int[d.length];
        double[] centered = centeredScaled(d, lambda);
        if (centered == null) {
            Arrays.fill(out, keptN);
            return out;
        }
        for (int i = 0; i < d.length; i++) {
            long z = Math.round(centered[i]);
            out[i] = (int) Math.max(1, Math.min(m - 1, keptN + z));
        }
        return out;
    }

    /** Genome: every gene of block l wants s_l; snapped to levels and repaired to the budget. */
    public static int[] genome(Budget budget, double[] blockSparsity) {
        SearchSpace sp = budget.space();
        double[] want = new double[sp.geneCount()];
        for (int g = 0; g < want.length; g++) want[g] = blockSparsity[sp.layersOf(g).get(0).block()];
        return budget.roundToLevels(want);
    }

    /** Genome of the mixed N:M variant: block l at the level keeping N_l, then repaired. */
    public static int[] genomeNM(Budget budget, int[] keptPerBlock) {
        SearchSpace sp = budget.space();
        double[] want = new double[sp.geneCount()];
        for (int g = 0; g < want.length; g++) {
            int b = sp.layersOf(g).get(0).block();
            int m = ((Pattern.NM) sp.levels().pattern(0)).m();
            want[g] = 1.0 - (double) keptPerBlock[b] / m;
        }
        return budget.roundToLevels(want);
    }

    /** Kept N of the uniform N:M pattern nearest to sparsity {@code target} (1..M-1): the reference's base "N:M". */
    static int keptForTarget(double target, int m) {
        return (int) Math.max(1, Math.min(m - 1, Math.round((1 - target) * m)));
    }

    /**
     * {@code --allocation owl-reference}: OWL exactly as its reference runs it. Unstructured (§5.2): every
     * linear of block l gets the continuous ratio s_l (no snapping to levels, no repair), which each
     * method applies with its own rule (Wanda: floor(cols * s_l) per row), so the achieved sparsity is
     * what comes out (below the target where the per-row floor bites). Mixed N:M (§5.4, {@code m > 0}):
     * block l gets N_l:M from the rounded, centred outlier ratios, unrepaired.
     *
     * @param d outlier ratios (percent) per block, computed with threshold {@link #DEFAULT_M} (unstructured)
     *          or {@link #DEFAULT_NM_M} (N:M)
     */
    public static SparsityPlan referencePlan(LlamaConfig c, double[] d, double target, int m, double lambda, double nmLambda) {
        Map<LayerId, Pattern> layers = new LinkedHashMap<>();
        if (m > 0) {
            int[] kept = blockKeptNM(d, keptForTarget(target, m), m, nmLambda);
            for (LayerId id : LayerId.all(c)) layers.put(id, new Pattern.NM(kept[id.block()], m));
        } else {
            double[] s = blockSparsities(d, target, lambda);
            for (LayerId id : LayerId.all(c)) layers.put(id, new Pattern.Unstructured(s[id.block()]));
        }
        return new SparsityPlan("owl-reference", SparsityPlan.ModelShape.of(c), layers);
    }

    /**
     * {@code --allocation owl} (unstructured): the reference's continuous block ratios, held to the budget
     * with the least change. Layer k of block l wants cols * s_l pruned weights per row; every layer starts
     * at the floor of that, then the layers with the largest remainders prune one more per row (a layer may
     * climb twice when the remainders run out) until the achieved count (Wanda's per-row rule) is at least
     * target * total. The overshoot is below one row-count of the last layer raised (at most rows weights).
     */
    public static SparsityPlan budgetMatchedPlan(LlamaConfig c, double[] blockSparsity, double target) {
        List<LayerId> ids = LayerId.all(c);
        int n = ids.size();
        double[] want = new double[n];
        int[] k = new int[n];
        long total = 0, pruned = 0;
        for (int i = 0; i < n; i++) {
            LayerKind kind = ids.get(i).kind();
            int cols = c.colsOf(kind);
            want[i] = cols * blockSparsity[ids.get(i).block()];
            k[i] = (int) Math.min(cols - 1, Math.floor(want[i]));
            total += c.weightsOf(kind);
            pruned += (long) c.rowsOf(kind) * k[i];
        }
        long min = minPrunedFor(target, total);
        while (pruned < min) {
            int best = -1;
            double bestR = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                if (k[i] >= c.colsOf(ids.get(i).kind()) - 1) continue;
                double r = want[i] - k[i];
                if (r > bestR) { bestR = r; best = i; }
            }
            if (best < 0) throw new IllegalStateException("cannot reach sparsity " + target + ": every layer is at cols - 1");
            k[best]++;
            pruned += c.rowsOf(ids.get(best).kind());
        }
        // Floors above the wish (the reference's 0.01 clamp) can overshoot: give back where it stays >= min.
        while (true) {
            int best = -1;
            double bestR = Double.POSITIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                if (k[i] == 0 || pruned - c.rowsOf(ids.get(i).kind()) < min) continue;
                double r = want[i] - k[i];
                if (r < bestR) { bestR = r; best = i; }
            }
            if (best < 0 || bestR > -1) break;
            k[best]--;
            pruned -= c.rowsOf(ids.get(best).kind());
        }
        Map<LayerId, Pattern> layers = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            LayerKind kind = ids.get(i).kind();
            layers.put(ids.get(i), new Pattern.Unstructured(ratioForCount(c.rowsOf(kind), c.colsOf(kind), k[i])));
        }
        return new SparsityPlan("owl", SparsityPlan.ModelShape.of(c), layers);
    }

    /** Smallest count p of {@code total} whose ratio (in double, as every report computes it) is >= target. */
    static long minPrunedFor(double target, long total) {
        long min = (long) Math.ceil(target * total);
        while (min > 0 && (double) (min - 1) / total >= target) min--;
        while ((double) min / total < target) min++;
        return min;
    }

    /**
     * The smallest ratio r with which every rule prunes k per row of a rows x cols layer: Wanda
     * floor(cols * r) = k, magnitude floor(rows * cols * r) = rows * k.
     */
    static double ratioForCount(int rows, int cols, int k) {
        double r = (double) k / cols;
        while (Math.floor(cols * r) < k || Math.floor((double) rows * cols * r) < (double) rows * k) r = Math.nextUp(r);
        return r;
    }

    /** The OWL plan for a budget from the blocks' outlier ratios: unstructured §5.2, or the §5.4 variant for N:M levels. */
    public static SparsityPlan plan(Budget budget, double[] outlierRatios, double lambda, double nmLambda) {
        SearchSpace sp = budget.space();
        int[] g;
        if (sp.levels().isNM()) {
            int m = ((Pattern.NM) sp.levels().pattern(0)).m();
            int kept = (int) Math.max(1, Math.min(m - 1, Math.round((1 - budget.target()) * m)));
            g = genomeNM(budget, blockKeptNM(outlierRatios, kept, m, nmLambda));
        } else {
            g = genome(budget, blockSparsities(outlierRatios, budget.target(), lambda));
        }
        return sp.toPlan(g, "owl");
    }
}
