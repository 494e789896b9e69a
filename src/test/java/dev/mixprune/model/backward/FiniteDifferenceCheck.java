package dev.mixprune.model.backward;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Analytic gradient coordinates against central finite differences, with the tolerances of
 * {@link GradientCheckTest}: relative error where the gradient is resolvable, absolute below
 * {@link GradientCheckTest#NEGLIGIBLE}. Collects every disagreement so a failure lists them all.
 */
final class FiniteDifferenceCheck {
    final List<String> failures = new ArrayList<>();
    int checkedRel, checkedAbs;
    double worstRel;

    /**
     * Compares the coordinates {@code coordinates} picks (from the gradient's values) of every
     * tensor whose name {@code wanted} accepts, in tensor order.
     */
    static FiniteDifferenceCheck run(ParamSet params, ParamSet gradient, int[] tokens, GradientCheckTest.LossFunction loss,
                                     Predicate<String> wanted, Function<double[], int[]> coordinates) {
        FiniteDifferenceCheck check = new FiniteDifferenceCheck();
        List<ParamSet.Tensor> ps = params.tensors(), gs = gradient.tensors();
        for (int ti = 0; ti < ps.size(); ti++) {
            ParamSet.Tensor pt = ps.get(ti), gt = gs.get(ti);
            assertThat(gt.name()).isEqualTo(pt.name());
            if (!wanted.test(pt.name())) continue;
            for (int i : coordinates.apply(gt.data())) {
                check.compare(pt.name(), i, gt.data()[i], GradientCheckTest.centralDifference(params, tokens, pt.data(), i, loss));
            }
        }
        return check;
    }

    /** Every coordinate of a tensor. */
    static int[] all(double[] g) {
        return java.util.stream.IntStream.range(0, g.length).toArray();
    }

    void compare(String tensor, int i, double g, double fd) {
        double scale = Math.max(Math.abs(fd), Math.abs(g));
        if (scale > GradientCheckTest.NEGLIGIBLE) {
            double rel = Math.abs(fd - g) / scale;
            worstRel = Math.max(worstRel, rel);
            checkedRel++;
            if (rel > GradientCheckTest.REL_TOL) failures.add(tensor + "[" + i + "]: analytic " + g + " fd " + fd + " rel " + rel);
        } else {
            checkedAbs++;
            if (Math.abs(fd - g) > GradientCheckTest.ABS_TOL) failures.add(tensor + "[" + i + "]: analytic " + g + " fd " + fd + " abs " + Math.abs(fd - g));
        }
    }

    int checked() { return checkedRel + checkedAbs; }
}
