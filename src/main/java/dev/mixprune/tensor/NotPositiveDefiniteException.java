package dev.mixprune.tensor;

/** A Cholesky factorization met a pivot that is not positive (or not finite). */
public final class NotPositiveDefiniteException extends ArithmeticException {
    private final int pivot;
    private final double value;

    public NotPositiveDefiniteException(int pivot, double value, int n) {
        super("matrix " + n + "x" + n + " is not positive definite: pivot " + pivot + " is " + value
                + " (expected > 0); add damping to the diagonal");
        this.pivot = pivot;
        this.value = value;
    }

    /** Index (0-based row/column) of the failing pivot. */
    public int pivot() { return pivot; }

    /** The non-positive value met at that pivot (diagonal minus the sum of squares before it). */
    public double value() { return value; }
}
