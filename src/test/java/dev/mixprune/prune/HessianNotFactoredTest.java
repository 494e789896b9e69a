package dev.mixprune.prune;

import dev.mixprune.NonFiniteException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Issue 13 F2: SparseGPT's failure to factor was a raw IllegalStateException (exit 1); now a bad-input error the pruner names the layer of. */
class HessianNotFactoredTest {
    @Test
    void aHessianThatCannotBeFactoredIsANonFiniteErrorNamingTheLayer() {
        int n = 4;
        double[] h = new double[n * n];
        java.util.Arrays.fill(h, Double.NaN);
        NonFiniteException e = catchThrowableOfType(NonFiniteException.class,
                () -> HessianPrep.dampAndFactor(h, n, SparseGptOptions.defaults(), SparseGptPruner::upperFactorOfInverse));
        assertThat(e).isNotNull();
        assertThat(e.in("m.bin: layer blk.2.wq").getMessage()).startsWith("m.bin: layer blk.2.wq: SparseGPT").contains("cannot be factored");
    }
}
