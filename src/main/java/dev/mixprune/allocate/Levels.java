package dev.mixprune.allocate;

import dev.mixprune.prune.Pattern;

import java.util.ArrayList;
import java.util.List;

/**
 * The gene alphabet: level 0 is the densest choice, higher levels are sparser, one nominal step
 * apart. {@code nm:M}: level i keeps N = M-1-i of every M (N in M-1 .. 1, never dense, never
 * empty). {@code unstructured}: level i is the ratio i*step for every i with i*step < 1.
 */
public record Levels(String name, List<Pattern> patterns, double step) {

    public Levels {
        patterns = List.copyOf(patterns);
        if (patterns.size() < 2) throw new IllegalArgumentException("a level alphabet needs at least 2 levels, got " + patterns.size());
        if (!(step > 0)) throw new IllegalArgumentException("level step must be > 0, got " + step);
    }

    /** Mixed N:M with a common M: kept N in 1..M-1. */
    public static Levels nm(int m) {
        if (m < 2) throw new IllegalArgumentException("nm:M needs M >= 2, got " + m);
        List<Pattern> p = new ArrayList<>();
        for (int n = m - 1; n >= 1; n--) p.add(new Pattern.NM(n, m));
        if (p.size() < 2) throw new IllegalArgumentException("nm:" + m + " has a single level (1:" + m + "); use M >= 3 for a search");
        return new Levels("nm:" + m, p, 1.0 / m);
    }

    /** Ratios 0, step, 2*step, ... below 1 (rounded to 1e-9 so that 28*0.025 prints as 0.7). */
    public static Levels unstructured(double step) {
        if (!(step > 0 && step <= 0.5)) throw new IllegalArgumentException("--step must be in (0, 0.5], got " + step);
        List<Pattern> p = new ArrayList<>();
        for (int i = 0; ; i++) {
            double r = Math.round(i * step * 1e9) / 1e9;
            if (r >= 1) break;
            p.add(new Pattern.Unstructured(r));
        }
        return new Levels("unstructured:" + step, p, step);
    }

    /** Parses "nm:8" or "unstructured" (with the given step). */
    public static Levels parse(String pattern, double step) {
        String t = pattern.trim();
        if (t.equals("unstructured")) return unstructured(step);
        if (t.startsWith("nm:")) {
            try {
                return nm(Integer.parseInt(t.substring(3).trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad --pattern '" + pattern + "', expected nm:M (e.g. nm:8) or unstructured");
            }
        }
        throw new IllegalArgumentException("bad --pattern '" + pattern + "', expected nm:M (e.g. nm:8) or unstructured");
    }

    /**
     * The levels whose nominal sparsity lies within {@code window} of {@code target} (the levels a
     * search may use when its level database must stay small); the whole alphabet when the window
     * covers it. At least two levels must remain.
     */
    public Levels window(double target, double window) {
        if (!(window > 0)) throw new IllegalArgumentException("--level-window must be > 0, got " + window);
        List<Pattern> kept = new ArrayList<>();
        for (Pattern p : patterns) if (Math.abs(p.nominalSparsity() - target) <= window + 1e-9) kept.add(p);
        if (kept.size() == patterns.size()) return this;
        if (kept.size() < 2) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "--level-window %.4f keeps %d level(s) of %s around %.4f; a search needs at least 2", window, kept.size(), name, target));
        }
        return new Levels(String.format(java.util.Locale.ROOT, "%s[%s..%s]", name, kept.get(0).text(), kept.get(kept.size() - 1).text()), kept, step);
    }

    public int count() { return patterns.size(); }

    public int maxLevel() { return patterns.size() - 1; }

    public Pattern pattern(int level) { return patterns.get(level); }

    public double nominalSparsity(int level) { return patterns.get(level).nominalSparsity(); }

    public boolean isNM() { return patterns.get(0) instanceof Pattern.NM; }

    /** The highest level whose nominal sparsity does not exceed s (0 when s is below every level). */
    public int floorLevel(double s) {
        int best = 0;
        for (int i = 0; i < patterns.size(); i++) if (nominalSparsity(i) <= s + 1e-12) best = i;
        return best;
    }

    /** The level whose nominal sparsity is nearest to s (ties to the sparser). */
    public int nearestLevel(double s) {
        int best = 0;
        double bestD = Double.MAX_VALUE;
        for (int i = 0; i < patterns.size(); i++) {
            double d = Math.abs(nominalSparsity(i) - s);
            if (d <= bestD + 1e-12) { best = i; bestD = Math.min(bestD, d); }
        }
        return best;
    }
}
