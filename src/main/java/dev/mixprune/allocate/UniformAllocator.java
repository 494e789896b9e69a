package dev.mixprune.allocate;

import dev.mixprune.BadInputException;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.SparsityPlan;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The same sparsity in every layer. Unstructured: each row prunes ceil(cols * s) weights, so the
 * achieved sparsity is never below the target even when cols * s is not an integer (a plain
 * "0.7" would prune floor(64 * 0.7) = 44 of 64 = 68.75%). N:M: the one N:M pattern whose
 * nominal sparsity is s; its short tail groups make it achieve a little less (protocols.md S).
 */
public final class UniformAllocator {
    private UniformAllocator() {}

    public static SparsityPlan unstructured(LlamaConfig c, double target) {
        if (!(target >= 0 && target < 1)) throw new BadInputException("--sparsity must be in [0, 1), got " + target);
        Map<LayerId, Pattern> m = new LinkedHashMap<>();
        for (LayerId id : LayerId.all(c)) m.put(id, new Pattern.Unstructured(ratioPruningAtLeast(c.colsOf(id.kind()), target)));
        return new SparsityPlan("uniform", SparsityPlan.ModelShape.of(c), m);
    }

    public static SparsityPlan nm(LlamaConfig c, double target, int m) {
        double kept = (1 - target) * m;
        long n = Math.round(kept);
        if (Math.abs(kept - n) > 1e-9 || n < 1 || n >= m) {
            throw new BadInputException(String.format(Locale.ROOT,
                    "uniform N:M with M=%d has no pattern of sparsity %.4f (N kept must be an integer in 1..%d)", m, target, m - 1));
        }
        return SparsityPlan.uniform(c, new Pattern.NM((int) n, m));
    }

    /** Smallest ratio r (with a short decimal form when possible) whose floor(cols * r) >= ceil(cols * s). */
    static double ratioPruningAtLeast(int cols, double s) {
        long want = (long) Math.ceil(cols * s - 1e-9);
        if (Math.floor(cols * s) >= want) return s;
        double r = (double) want / cols;
        while (Math.floor(cols * r) < want) r = Math.nextUp(r);
        return r;
    }
}
