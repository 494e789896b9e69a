package dev.mixprune.allocate;

import dev.mixprune.BadInputException;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.SparsityPlan;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One entry point for the heuristic allocations ({@code prune --allocation uniform|owl|fisher});
 * {@code msp} is {@link MspSearch}. Every plan's achieved sparsity is exact
 * ({@link SparsityPlan#expectedSparsity}); uniform N:M achieves a little less than nominal
 * (short tail groups), all others are budget-repaired to [target, target + step/2].
 */
public final class Allocations {
    private Allocations() {}

    /**
     * @param pattern      "unstructured" or "nm:M"
     * @param statWindows  calibration windows for OWL's Wanda statistics (dense propagation); unused otherwise
     * @param fisher       per-layer Fisher traces (only for "fisher")
     */
    public static SparsityPlan allocate(String allocation, LlamaWeights w, String pattern, double step, Granularity granularity,
                                        double target, List<int[]> statWindows, Map<LayerId, Double> fisher) {
        Levels levels = Levels.parse(pattern, step);
        SearchSpace space = new SearchSpace(w.config(), levels, granularity);
        return switch (allocation.toLowerCase(Locale.ROOT)) {
            case "uniform" -> levels.isNM()
                    ? UniformAllocator.nm(w.config(), target, ((Pattern.NM) levels.pattern(0)).m())
                    : UniformAllocator.unstructured(w.config(), target);
            case "owl" -> {
                Budget b = Budget.of(space, Budget.nmTargetMatchingUniform(space, target));
                yield OwlAllocator.plan(b, w, WandaScalers.collect(w, statWindows), OwlAllocator.DEFAULT_LAMBDA,
                        OwlAllocator.DEFAULT_M, OwlAllocator.DEFAULT_NM_LAMBDA);
            }
            case "fisher" -> {
                if (fisher == null) throw new BadInputException("--allocation fisher needs --fisher fisher.json (from `mixprune sensitivity`)");
                Budget b = Budget.of(space, Budget.nmTargetMatchingUniform(space, target));
                yield FisherAllocator.plan(b, fisher, FisherAllocator.DEFAULT_STRENGTH);
            }
            default -> throw new IllegalArgumentException("--allocation must be uniform, owl, fisher or msp (msp runs the search), got '" + allocation + "'");
        };
    }
}
