package dev.mixprune.prune;

import dev.mixprune.tensor.Matrix;

/**
 * SparseGPT preparation shared by the fast and the reference pruner (docs/algorithms.md 4.2):
 * dead inputs (H_jj == 0) get H_jj = 1 and their weight column zeroed; damping
 * percdamp * mean(diag H) is added to the diagonal; the factorization is retried with damping
 * x10 (and a warning) when H is not numerically positive definite, instead of failing.
 */
final class HessianPrep {
    private HessianPrep() {}

    /**
     * A factorization attempt on the damped H, which it must NOT modify (it is re-damped and
     * retried on failure); returns null when H is not numerically positive definite.
     */
    @FunctionalInterface
    interface Factor { double[] apply(double[] dampedH, int n); }

    /** Marks dead inputs in h (in place) and zeroes their weight columns (w may be null). Returns the number of dead inputs. */
    static int handleDead(double[] h, int n, Matrix w) {
        int dead = 0;
        for (int j = 0; j < n; j++) {
            if (h[j * n + j] == 0) {
                h[j * n + j] = 1;
                if (w != null) zeroColumn(w, j);
                dead++;
            }
        }
        return dead;
    }

    /** Zeroes the weight columns of dead inputs (Gram diagonal 0, the same test as on H = (2/N) G). */
    static void zeroDeadColumns(Matrix gram, Matrix w) {
        int n = gram.cols();
        float[] g = gram.data();
        for (int j = 0; j < n; j++) if (g[j * n + j] == 0f) zeroColumn(w, j);
    }

    private static void zeroColumn(Matrix w, int j) {
        float[] d = w.data();
        int n = w.cols();
        for (int r = 0; r < w.rows(); r++) d[r * n + j] = 0f;
    }

    /**
     * Damps and factors, raising the damping x10 per failure. The damping is written into h's
     * diagonal (from a saved copy of the undamped diagonal on every attempt) instead of into a
     * clone of h: for an 11008-wide input a clone would cost another 0.9 GiB. On return h holds
     * the damped Hessian that was factored.
     */
    static double[] dampAndFactor(double[] h, int n, SparseGptOptions opt, Factor factor) {
        double[] diag = new double[n];
        double mean = 0;
        for (int j = 0; j < n; j++) {
            diag[j] = h[j * n + j];
            mean += diag[j];
        }
        mean /= n;
        double damp = opt.percDamp() * mean;
        for (int attempt = 0; ; attempt++) {
            for (int j = 0; j < n; j++) h[j * n + j] = diag[j] + damp;
            double[] f = factor.apply(h, n);
            if (f != null) return f;
            if (attempt >= opt.maxDampRetries()) {
                throw new dev.mixprune.NonFiniteException("SparseGPT: the " + n + "x" + n + " Hessian of the layer's inputs cannot be factored even with damping "
                        + damp + " (mean diagonal " + mean + "): the calibration activations reaching it overflow or are degenerate");
            }
            double next = damp > 0 ? damp * 10 : Math.max(1e-8, mean * 1e-2);
            opt.warnings().accept(String.format("SparseGPT: Cholesky of the %dx%d Hessian failed with damping %.3g; retrying with %.3g",
                    n, n, damp, next));
            damp = next;
        }
    }
}
