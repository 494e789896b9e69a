package dev.mixprune.allocate;

import dev.mixprune.BadInputException;
import dev.mixprune.model.LayerId;
import dev.mixprune.io.BlockSource;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.SparsityPlan;
import dev.mixprune.resources.HeapGuard;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One entry point for the heuristic allocations ({@code prune --allocation uniform|owl|owl-reference|fisher});
 * {@code msp} is {@link MspSearch}. Every plan's achieved sparsity is exact
 * ({@link SparsityPlan#expectedSparsity}); uniform N:M achieves a little less than nominal
 * (short tail groups); owl-reference achieves what the reference's rule gives (e.g. 0.7423 for
 * 0.75 on stories260K); unstructured owl is budget-matched with per-row counts (at most one
 * layer's row count above the target); fisher and N:M owl are repaired to [target, target + step/2].
 */
public final class Allocations {
    private Allocations() {}

    /** Calibration sequences per block-forward call of OWL's dense pass (as prune's default chunk). */
    static final int OWL_CHUNK_SEQUENCES = 16;

    /**
     * @param source       the dense model (read block by block; only OWL reads its blocks)
     * @param pattern      "unstructured" or "nm:M"
     * @param statWindows  calibration windows for OWL's Wanda statistics (dense propagation); unused otherwise
     * @param fisher       per-layer Fisher traces (only for "fisher")
     */
    public static SparsityPlan allocate(String allocation, BlockSource source, String pattern, double step, Granularity granularity,
                                        double target, List<int[]> statWindows, Map<LayerId, Double> fisher) {
        LlamaConfig c = source.config();
        Levels levels = Levels.parse(pattern, step);
        SearchSpace space = new SearchSpace(c, levels, granularity);
        return switch (allocation.toLowerCase(Locale.ROOT)) {
            case "uniform" -> levels.isNM()
                    ? UniformAllocator.nm(c, target, ((Pattern.NM) levels.pattern(0)).m())
                    : UniformAllocator.unstructured(c, target);
            case "owl", "owl-reference" -> {
                if (statWindows.isEmpty()) throw new BadInputException("--allocation " + allocation + " needs calibration windows for its activation statistics");
                int m = levels.isNM() ? ((Pattern.NM) levels.pattern(0)).m() : 0;
                double hyperM = m > 0 ? OwlAllocator.DEFAULT_NM_M : OwlAllocator.DEFAULT_M;
                double[] d = OwlAllocator.outlierRatios(source, statWindows, hyperM, OWL_CHUNK_SEQUENCES, HeapGuard.none());
                if (allocation.equalsIgnoreCase("owl-reference")) {
                    yield OwlAllocator.referencePlan(c, d, target, m, OwlAllocator.DEFAULT_LAMBDA, OwlAllocator.DEFAULT_NM_LAMBDA);
                }
                if (m > 0) yield OwlAllocator.plan(Budget.of(space, Budget.nmTargetMatchingUniform(space, target)), d,
                        OwlAllocator.DEFAULT_LAMBDA, OwlAllocator.DEFAULT_NM_LAMBDA);
                yield OwlAllocator.budgetMatchedPlan(c, OwlAllocator.blockSparsities(d, target, OwlAllocator.DEFAULT_LAMBDA), target);
            }
            case "fisher" -> {
                if (fisher == null) throw new BadInputException("--allocation fisher needs --fisher fisher.json (from `mixprune sensitivity`)");
                Budget b = Budget.of(space, Budget.nmTargetMatchingUniform(space, target));
                yield FisherAllocator.plan(b, fisher, FisherAllocator.DEFAULT_STRENGTH);
            }
            default -> throw new IllegalArgumentException("--allocation must be uniform, owl, owl-reference, fisher or msp (msp runs the search), got '" + allocation + "'");
        };
    }
}
