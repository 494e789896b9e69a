package dev.mixprune.eval.zeroshot;

import java.util.Locale;

/**
 * How many documents per task {@code --limit} asks for, as lm-evaluation-harness reads it: an
 * integer is a count, a number below 1 is a fraction of the task's documents rounded up
 * ({@code lm_eval.evaluator_utils.get_sample_size}: {@code ceil(len(docs) * limit)} when
 * {@code limit < 1}, else {@code int(limit)}). No limit (and, unlike the harness, 0) means every
 * document.
 *
 * @param count    documents per task when given as a count, 0 for none
 * @param fraction fraction of the documents when given as a fraction (0 < f < 1), NaN otherwise
 */
public record EvalLimit(int count, double fraction) {
    public static final EvalLimit NONE = new EvalLimit(0, Double.NaN);

    public EvalLimit {
        if (count < 0) throw new IllegalArgumentException("--limit must be >= 0, got " + count);
        if (!Double.isNaN(fraction) && !(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("--limit as a fraction must be in (0, 1), got " + fraction);
        }
        if (count > 0 && !Double.isNaN(fraction)) throw new IllegalArgumentException("a limit is a count or a fraction, not both");
    }

    public static EvalLimit ofCount(int n) { return n == 0 ? NONE : new EvalLimit(n, Double.NaN); }

    /**
     * Parses "20", "20.0" (a count) or "0.1" (a fraction). A non-integral value of 1 or more is
     * refused (the harness would silently truncate it).
     */
    public static EvalLimit parse(String s) {
        String t = s == null ? "" : s.trim();
        if (t.isEmpty() || t.equalsIgnoreCase("none") || t.equalsIgnoreCase("all")) return NONE;
        double v;
        try {
            v = Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--limit must be a document count (e.g. 200) or a fraction below 1 (e.g. 0.1), got '" + s + "'");
        }
        if (!Double.isFinite(v) || v < 0) throw new IllegalArgumentException("--limit must be >= 0, got '" + s + "'");
        if (v == 0) return NONE;
        if (v < 1) return new EvalLimit(0, v);
        if (v != Math.rint(v) || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--limit of 1 or more must be a whole number of documents, got '" + s + "'");
        }
        return new EvalLimit((int) v, Double.NaN);
    }

    public boolean isNone() { return count == 0 && Double.isNaN(fraction); }

    public boolean isFraction() { return !Double.isNaN(fraction); }

    /** Documents to score out of {@code total}: all, the count (at most total), or ceil(total * fraction). */
    public int documents(int total) {
        if (isNone()) return total;
        if (isFraction()) return (int) Math.min(total, Math.ceil(total * fraction));
        return Math.min(total, count);
    }

    /** As given on the command line: "200", "0.1", or "none". */
    @Override public String toString() {
        if (isNone()) return "none";
        return isFraction() ? Double.toString(fraction) : Integer.toString(count);
    }

    /** The value written as {@code config.limit}: the count, the fraction, or null. */
    public Number jsonValue() {
        if (isNone()) return null;
        return isFraction() ? (Number) fraction : (Number) count;
    }

    static String describe(EvalLimit l) {
        return l.isNone() ? "all documents" : l.isFraction()
                ? String.format(Locale.ROOT, "%.4g of the documents (rounded up)", l.fraction) : l.count + " documents";
    }
}
