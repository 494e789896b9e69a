package dev.mixprune.prune;

import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

/**
 * What a score-based method prunes (docs/algorithms.md 2 and 3): a score per weight, lower scores
 * pruned first, and the comparison group of unstructured pruning. This is THE definition of
 * magnitude and Wanda: {@link MagnitudePruner}, {@link WandaPruner} and the search's candidates
 * ({@code allocate.ScoredLevels}) all score through it, so a level searched for is bit for bit
 * the mask the pruner writes.
 *
 * <ul>
 *   <li>unstructured, {@link Group#MATRIX} (magnitude): exactly floor(rows * cols * s) weights of the
 *       whole matrix;</li>
 *   <li>unstructured, {@link Group#ROW} (Wanda): exactly floor(cols * s) weights of every row;</li>
 *   <li>N:M (both): in every group of M consecutive inputs of a row (short tail group included) all
 *       but the N highest.</li>
 * </ul>
 * Ties follow {@link Selection}: equal scores go in ascending index order (row-major for a matrix).
 */
public sealed interface MaskRule permits MaskRule.Magnitude, MaskRule.Wanda {

    /** The set among which unstructured pruning chooses its count. */
    enum Group { MATRIX, ROW }

    Group unstructuredGroup();

    /** out[outOff + c] = the score of weight {@code w[off + c]}, for c in [0, cols): one row. */
    void scoreRow(float[] w, int off, int cols, double[] out, int outOff);

    /** |W|, one comparison group per matrix. */
    record Magnitude() implements MaskRule {
        @Override public Group unstructuredGroup() { return Group.MATRIX; }

        @Override public void scoreRow(float[] w, int off, int cols, double[] out, int outOff) {
            for (int c = 0; c < cols; c++) out[outOff + c] = Math.abs(w[off + c]);
        }
    }

    /** |W_ij| * sqrt(scaler_row_j) in double, one comparison group per row. */
    record Wanda(double[] norm) implements MaskRule {
        @Override public Group unstructuredGroup() { return Group.ROW; }

        @Override public void scoreRow(float[] w, int off, int cols, double[] out, int outOff) {
            if (cols != norm.length) throw new IllegalArgumentException("statistics for " + norm.length + " inputs, layer has " + cols);
            for (int c = 0; c < cols; c++) out[outOff + c] = Math.abs(w[off + c]) * norm[c];
        }
    }

    static MaskRule magnitude() { return new Magnitude(); }

    /** Wanda from its activation statistic scaler_row (InputStats.scalerRow: the running mean of x^2 over sequences). */
    static MaskRule wanda(double[] scalerRow) {
        double[] norm = new double[scalerRow.length];
        for (int j = 0; j < norm.length; j++) norm[j] = Math.sqrt(scalerRow[j]);
        return new Wanda(norm);
    }

    /** Weights an unstructured ratio {@code s} prunes in one comparison group of a rows x cols matrix. */
    default long unstructuredCount(int rows, int cols, double s) {
        return unstructuredGroup() == Group.ROW ? (long) Math.floor(cols * s) : (long) Math.floor((double) rows * cols * s);
    }

    /** The mask (true = pruned) of {@code w} under {@code pattern}; w is not modified. */
    default boolean[] mask(Matrix w, Pattern pattern) {
        int rows = w.rows(), cols = w.cols();
        float[] d = w.data();
        boolean[] mask = new boolean[d.length];
        if (pattern instanceof Pattern.Unstructured u && unstructuredGroup() == Group.MATRIX) {
            double[] score = new double[d.length];
            for (int r = 0; r < rows; r++) scoreRow(d, r * cols, cols, score, r * cols);
            Selection.markSmallest(score, d.length, (int) unstructuredCount(rows, cols, u.sparsity()), mask, 0);
            return mask;
        }
        int perRow = pattern instanceof Pattern.Unstructured u ? (int) unstructuredCount(rows, cols, u.sparsity()) : 0;
        // Rows are independent comparison groups writing disjoint parts of the mask: row-parallel.
        ThreadTeam.RangeBody body = (from, to) -> {
            double[] score = new double[cols];
            int[] order = new int[pattern instanceof Pattern.NM nm ? nm.m() : 0];
            for (int r = from; r < to; r++) {
                int off = r * cols;
                scoreRow(d, off, cols, score, 0);
                switch (pattern) {
                    case Pattern.Unstructured ignored -> Selection.markSmallest(score, cols, perRow, mask, off);
                    case Pattern.NM nm -> Selection.markRowNM(score, cols, nm, mask, off, order);
                }
            }
        };
        if ((long) rows * cols < 1 << 16) body.run(0, rows);
        else ThreadTeam.shared().forRange(0, rows, Math.max(1, (1 << 15) / cols), body);
        return mask;
    }
}
