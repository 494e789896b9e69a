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

    /**
     * Exactly "N:M" with 1 <= N < M (N kept of every M): what {@code --pattern} accepts. "2:4:8",
     * "2:", ":4", " 2 : 4", "-1:4", "0.5" and bare numbers are refused (issue 13 F6); surrounding
     * white space is ignored.
     */
    public static NM parseNM(String s) {
        String t = s.strip();
        // Digits only: no sign, no spaces inside, no exponent, at most 9 digits (no int overflow).
        if (!t.matches("[0-9]{1,9}:[0-9]{1,9}")) {
            throw new IllegalArgumentException("expected N:M (N kept of every M, 1 <= N < M, e.g. 2:4), got '" + s + "'");
        }
        int colon = t.indexOf(':');
        return new NM(Integer.parseInt(t.substring(0, colon)), Integer.parseInt(t.substring(colon + 1)));
    }

    /**
     * The text form {@link #text()} writes, and nothing else: "N:M" ({@link #parseNM}) or
     * "unstructured:R" with R a decimal in [0, 1). Used for plan entries, where a bare number
     * would be ambiguous (a ratio? a count?).
     */
    public static Pattern parse(String s) {
        String t = s.strip();
        if (t.startsWith("unstructured:")) {
            String r = t.substring("unstructured:".length());
            if (!r.matches("[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?")) {
                throw new IllegalArgumentException("expected unstructured:R with R a ratio in [0, 1), got '" + s + "'");
            }
            return new Unstructured(Double.parseDouble(r));
        }
        if (t.contains(":")) return parseNM(t);
        throw new IllegalArgumentException("expected N:M (e.g. 2:4) or unstructured:R (e.g. unstructured:0.7), got '" + s + "'");
    }
}
