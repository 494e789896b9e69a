package dev.mixprune.prune;

/**
 * How one layer is sparsified (docs/protocols.md S). Sealed: unstructured ratio, or N:M with N
 * weights KEPT in every group of M consecutive inputs of a row ("2:4" keeps 2 of 4; "2:8" keeps 2
 * of 8 = 75% sparse). Rows whose length is not a multiple of M end in a shorter group that also
 * keeps at most N.
 */
public sealed interface Pattern permits Pattern.Unstructured, Pattern.NM {

    /** Nominal sparsity (fraction of zeros), ignoring short tail groups. */
    double nominalSparsity();

    /** Exact number of weights this pattern zeroes in a rows x cols matrix (by construction of the pruners). */
    long prunedCount(int rows, int cols);

    /** Text form: "0.75" / "unstructured:0.75" or "2:8". */
    String text();

    record Unstructured(double sparsity) implements Pattern {
        public Unstructured {
            if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("sparsity must be in [0, 1), got " + sparsity);
        }
        @Override public double nominalSparsity() { return sparsity; }
        /**
         * Per-row count floor(cols * s), as Wanda prunes. Magnitude prunes floor(rows*cols*s) per
         * matrix and SparseGPT floor(rows*width*s) per 128-column block (exact counts, see
         * {@link Selection}), which can exceed this by less than one weight per row.
         */
        @Override public long prunedCount(int rows, int cols) { return (long) rows * (long) Math.floor(cols * sparsity); }
        @Override public String text() { return "unstructured:" + sparsity; }
    }

    /** N kept of every M. */
    record NM(int n, int m) implements Pattern {
        public NM {
            if (m < 2 || n < 1 || n >= m) throw new IllegalArgumentException("N:M needs 1 <= N < M, got " + n + ":" + m);
        }
        @Override public double nominalSparsity() { return 1.0 - (double) n / m; }
        @Override public long prunedCount(int rows, int cols) {
            long perRow = (long) (cols / m) * (m - n);
            int tail = cols % m;
            if (tail > n) perRow += tail - n;
            return perRow * rows;
        }
        @Override public String text() { return n + ":" + m; }
    }

    /** Parses "2:4", "0.5", "unstructured:0.5", "50%". */
    public static Pattern parse(String s) {
        String t = s.trim();
        if (t.startsWith("unstructured:")) t = t.substring("unstructured:".length());
        if (t.contains(":")) {
            String[] p = t.split(":");
            try {
                return new NM(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad N:M pattern '" + s + "'");
            }
        }
        try {
            double v = t.endsWith("%") ? Double.parseDouble(t.substring(0, t.length() - 1)) / 100 : Double.parseDouble(t);
            return new Unstructured(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad pattern '" + s + "', expected a ratio like 0.75 or N:M like 2:8");
        }
    }
}
