package dev.mixprune.allocate;


import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The global sparsity budget over the prunable set, in exact pruned counts (the method's own, see
 * {@link SearchSpace}): a genome is accepted when its achieved (parameter-weighted) sparsity is
 * never below the target and at most {@link #tolerance()} above it. The tolerance is the narrowest
 * of {@link #TOLERANCES} (then half a level step) that the levels can reach with layer genes, so that
 * MSP is compared with a baseline at the baseline's sparsity: on stories260K every target lands
 * within 0.0005. Block genes keep half a level step.
 * Repair operators move single genes by one level until a genome is inside that window.
 */
public final class Budget {
    private final SearchSpace space;
    private final double target;
    private final long minPruned;
    private final long maxPruned;
    /** A genome known to be inside the window: the last resort of the repairs. */
    private int[] anchor;

    private Budget(SearchSpace space, double target, long minPruned, long maxPruned) {
        this.space = space;
        this.target = target;
        this.minPruned = minPruned;
        this.maxPruned = maxPruned;
    }

    /**
     * Budget for target sparsity {@code target}; UsageException (exit 2: the target does not suit the pattern) when no genome of the space can
     * reach it (e.g. 95% with nm:8, whose sparsest level keeps 1 of 8) or when the levels cannot
     * land within half a step above it.
     */
    public static Budget of(SearchSpace space, double target) {
        if (!(target >= 0 && target < 1)) throw new dev.mixprune.UsageException("--sparsity must be in [0, 1), got " + target);
        long total = space.total();
        double halfStep = space.levels().step() / 2;
        // Smallest count whose ratio (as the rest of the program computes it, in double) is >= target.
        long min = (long) Math.ceil(target * total);
        while (min > 0 && (double) (min - 1) / total >= target) min--;
        while ((double) min / total < target) min++;

        int[] sparsest = filled(space, space.maxLevel());
        int[] densest = filled(space, 0);
        long hi = space.prunedCount(sparsest), lo = space.prunedCount(densest);
        if (hi < min) {
            throw new dev.mixprune.UsageException(String.format(Locale.ROOT,
                    "target sparsity %.4f is impossible for pattern %s: its sparsest level (%s everywhere) reaches only %.4f",
                    target, space.levels().name(), space.levels().pattern(space.maxLevel()).text(), (double) hi / total));
        }
        if (lo > maxCount(total, target + halfStep)) {
            throw new dev.mixprune.UsageException(String.format(Locale.ROOT,
                    "target sparsity %.4f is impossible for pattern %s: its densest level (%s everywhere) already prunes %.4f",
                    target, space.levels().name(), space.levels().pattern(0).text(), (double) lo / total));
        }
        // The narrowest window a uniform-ish genome can be repaired into (else the levels cannot reach it).
        // Only with layer genes: block genes are few and of equal size, so a narrow window holds
        // little more than the uniform plan and every seeded or searched plan would collapse onto it.
        for (double tol : TOLERANCES) {
            if (tol >= halfStep || space.granularity() != Granularity.LAYER) break;
            Budget b = tryWindow(space, target, min, maxCount(total, target + tol));
            if (b != null) return b;
        }
        Budget b = tryWindow(space, target, min, maxCount(total, target + halfStep));
        if (b != null) return b;
        throw new dev.mixprune.UsageException(String.format(Locale.ROOT,
                "target sparsity %.4f cannot be met within half a level step (%.4f) with pattern %s and %s granularity: "
                        + "choose a target on the level grid or a finer --step / --granularity layer",
                target, halfStep, space.levels().name(), space.granularity().name().toLowerCase(Locale.ROOT)));
    }

    /**
     * Widths tried for the window above the target, narrowest first; half a level step is the last
     * resort (coarse levels with block genes). 0.0005 keeps MSP within 0.001 of any baseline it is
     * compared with at that baseline's achieved sparsity.
     */
    static final double[] TOLERANCES = {0.0005, 0.001, 0.002, 0.005};

    /** Largest count whose ratio (in double, as everywhere else) is <= upper. */
    private static long maxCount(long total, double upper) {
        long max = (long) Math.floor(upper * total);
        while ((double) max / total > upper) max--;
        while (max < total && (double) (max + 1) / total <= upper) max++;
        return max;
    }

    /** The budget with window [min, max] when the uniform genome rounds into it, else null. */
    private static Budget tryWindow(SearchSpace space, double target, long min, long max) {
        if (max < min) return null;
        Budget b = new Budget(space, target, min, max);
        int[] probe = b.roundToLevels(uniformDesired(space, target));
        if (!b.accepts(probe)) return null;
        b.anchor = probe;
        return b;
    }

    /** Width of the accepted window above the target, as a sparsity. */
    public double tolerance() { return (double) maxPruned / space.total() - target; }

    /**
     * For N:M the nominal sparsity of a uniform plan is not what it achieves (short tail groups keep
     * a little more, protocols.md S). When the target is exactly a level's nominal sparsity, this
     * returns what that uniform plan achieves, so mixed plans are held to the same budget as uniform
     * N:M; otherwise the target itself.
     */
    public static double nmTargetMatchingUniform(SearchSpace space, double target) {
        Levels lv = space.levels();
        if (!lv.isNM()) return target;
        for (int l = 0; l <= lv.maxLevel(); l++) {
            if (Math.abs(lv.nominalSparsity(l) - target) < 1e-9) return Math.min(target, space.sparsity(filled(space, l)));
        }
        return target;
    }

    public SearchSpace space() { return space; }
    public double target() { return target; }
    public long minPruned() { return minPruned; }
    public long maxPruned() { return maxPruned; }
    /** Highest achieved sparsity accepted. */
    public double upperSparsity() { return (double) maxPruned / space.total(); }

    public boolean accepts(int[] genome) {
        long p = space.prunedCount(genome);
        return p >= minPruned && p <= maxPruned;
    }

    public double achieved(int[] genome) { return space.sparsity(genome); }

    /** Moves random genes one level at a time until the genome is inside the window (in place). */
    public int[] repair(int[] genome, Rng rng) {
        space.check(genome);
        long p = space.prunedCount(genome);
        while (p < minPruned) {
            int g = pickMove(genome, +1, p, rng);
            if (g < 0) throw new IllegalStateException("cannot raise any gene; budget should have been rejected");
            p += delta(g, genome[g], +1);
            genome[g]++;
        }
        while (p > maxPruned) {
            int g = pickMove(genome, -1, p, rng);
            if (g < 0) break;
            p += delta(g, genome[g], -1);
            genome[g]--;
        }
        if (p > maxPruned || p < minPruned) pairFix(genome, rng);
        if (!accepts(genome)) {
            // Rare (a few large genes): re-round around the genome's own levels, else the anchor.
            double[] want = new double[genome.length];
            for (int i = 0; i < want.length; i++) want[i] = space.levels().nominalSparsity(genome[i]);
            int[] r = roundToLevels(want);
            System.arraycopy(r, 0, genome, 0, r.length);
        }
        return genome;
    }

    /**
     * One compound level move, in place, that keeps a genome inside the window: a uniformly random
     * gene moves one level in a random direction, and the fewest opposite moves of other genes pay
     * for it (one move landing inside the window, uniform among those; else two, uniform among the
     * pairs; the same gene may move two levels). Unlike a same-size swap this lets budget move
     * between genes of different sizes (stories260K: an MLP level is 172 to 344 weights, an
     * attention level 32 to 128, the window 113). A first move that 1-2 opposite moves cannot pay
     * for is undone and another drawn.
     *
     * @return the number of level moves made (0 when none was found)
     */
    public int compoundMove(int[] genome, Rng rng) {
        if (!accepts(genome)) throw new IllegalArgumentException("compoundMove needs a genome inside the window " + this);
        for (int attempt = 0; attempt < 8 * genome.length + 8; attempt++) {
            int g = rng.nextInt(genome.length), d = rng.nextInt(2) == 0 ? -1 : +1;
            if (!movable(genome[g], d)) continue;
            genome[g] += d;
            long p = space.prunedCount(genome);
            if (p >= minPruned && p <= maxPruned) return 1;
            // The first move left the window on its side (up: above, down: below); opposite moves pay.
            int n1 = countSingles(genome, p, -d, g, -1);
            if (n1 > 0) {
                countSingles(genome, p, -d, g, rng.nextInt(n1));
                return 2;
            }
            int n2 = countDoubles(genome, p, -d, g, -1);
            if (n2 > 0) {
                countDoubles(genome, p, -d, g, rng.nextInt(n2));
                return 3;
            }
            genome[g] -= d;
        }
        return 0;
    }

    /**
     * Repair with as few level moves as it can find (in place), for children of crossover: a
     * genome already inside is unchanged; else one single-gene move that lands inside (uniform among
     * those), else two moves (uniform among the pairs that land inside), else one random move towards
     * the window that does not jump past it, and again. Falls back to {@link #repair} only when no
     * move brings the genome nearer (not seen on real spaces).
     *
     * @return the number of level moves made (repair's fallback counts as -1)
     */
    public int repairMinimal(int[] genome, Rng rng) {
        space.check(genome);
        int moves = 0;
        for (int guard = 0; guard < 64 * genome.length + 64; guard++) {
            long p = space.prunedCount(genome);
            if (p >= minPruned && p <= maxPruned) return moves;
            int n1 = countSingles(genome, p, 0, -1, -1);
            if (n1 > 0) {
                countSingles(genome, p, 0, -1, rng.nextInt(n1));
                return moves + 1;
            }
            int n2 = countDoubles(genome, p, 0, -1, -1);
            if (n2 > 0) {
                countDoubles(genome, p, 0, -1, rng.nextInt(n2));
                return moves + 2;
            }
            int dir = p < minPruned ? +1 : -1;
            int g = pickMove(genome, dir, p, rng);
            if (g < 0 || distance(p + delta(g, genome[g], dir)) >= distance(p)) break;
            genome[g] += dir;
            moves++;
        }
        repair(genome, rng);
        return -1;
    }

    /**
     * Single-gene moves landing inside the window (counted, or the one of index {@code apply} applied),
     * only in direction {@code onlyDir} unless it is 0, never of gene {@code except}.
     */
    private int countSingles(int[] genome, long p, int onlyDir, int except, int apply) {
        int n = 0;
        for (int g = 0; g < genome.length; g++) {
            if (g == except) continue;
            for (int d = -1; d <= 1; d += 2) {
                if ((onlyDir != 0 && d != onlyDir) || !movable(genome[g], d)) continue;
                long np = p + delta(g, genome[g], d);
                if (np < minPruned || np > maxPruned) continue;
                if (n == apply) {
                    genome[g] += d;
                    return n;
                }
                n++;
            }
        }
        return n;
    }

    /**
     * Unordered pairs of single-gene moves landing inside the window together (the same gene twice
     * in one direction = two levels; opposite moves of one gene cancel and are skipped).
     */
    private int countDoubles(int[] genome, long p, int onlyDir, int except, int apply) {
        int n = 0, moves = 2 * genome.length;
        for (int i = 0; i < moves; i++) {
            int g = i >> 1, d = (i & 1) == 0 ? -1 : +1;
            if (g == except || (onlyDir != 0 && d != onlyDir) || !movable(genome[g], d)) continue;
            long pi = p + delta(g, genome[g], d);
            for (int j = i; j < moves; j++) {
                int h = j >> 1, e = (j & 1) == 0 ? -1 : +1;
                if (h == except || (onlyDir != 0 && e != onlyDir)) continue;
                if (h == g && e != d) continue;
                long np;
                if (h == g) {
                    if (!movable(genome[g], 2 * d)) continue;
                    np = pi + delta(g, genome[g] + d, d);
                } else {
                    if (!movable(genome[h], e)) continue;
                    np = pi + delta(h, genome[h], e);
                }
                if (np < minPruned || np > maxPruned) continue;
                if (n == apply) {
                    genome[g] += d;
                    genome[h] += e;
                    return n;
                }
                n++;
            }
        }
        return n;
    }

    private boolean movable(int level, int by) {
        int l = level + by;
        return l >= 0 && l <= space.maxLevel();
    }

    /**
     * Deterministic rounding of desired per-gene sparsities to levels: every gene starts at the
     * highest level not above its wish, then the genes with the largest remainder are raised (the
     * largest-remainder rule) until the target is reached; then the random-free repair finishes.
     */
    public int[] roundToLevels(double[] desired) {
        if (desired.length != space.geneCount()) throw new IllegalArgumentException("need " + space.geneCount() + " desired sparsities, got " + desired.length);
        Levels lv = space.levels();
        int[] g = new int[desired.length];
        for (int i = 0; i < g.length; i++) g[i] = lv.floorLevel(desired[i]);
        long p = space.prunedCount(g);
        // Raise by largest remainder, re-evaluated after each move so a gene may climb twice.
        while (p < minPruned) {
            int best = -1, fallback = -1;
            double bestR = Double.NEGATIVE_INFINITY;
            long fallbackD = Long.MAX_VALUE;
            for (int i = 0; i < g.length; i++) {
                if (g[i] >= lv.maxLevel()) continue;
                long d = delta(i, g[i], +1);
                double r = (desired[i] - lv.nominalSparsity(g[i])) / lv.step();
                if (p + d <= maxPruned && r > bestR) { bestR = r; best = i; }
                if (d < fallbackD) { fallbackD = d; fallback = i; }
            }
            int pick = best >= 0 ? best : fallback;
            if (pick < 0) break;
            p += delta(pick, g[pick], +1);
            g[pick]++;
        }
        // Too far above: lower the genes that overshoot their wish the most.
        while (p > maxPruned) {
            int best = -1;
            double bestR = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < g.length; i++) {
                if (g[i] == 0) continue;
                long d = delta(i, g[i], -1);
                if (p + d < minPruned) continue;
                double r = (lv.nominalSparsity(g[i]) - desired[i]) / lv.step();
                if (r > bestR) { bestR = r; best = i; }
            }
            if (best < 0) break;
            p += delta(best, g[best], -1);
            g[best]--;
        }
        if (!accepts(g)) pairFix(g, new Rng(0x5EEDL));
        if (!accepts(g) && anchor != null) return anchor.clone();
        return g;
    }

    /** Change in pruned count when gene g moves from level l by dir (+1 sparser, -1 denser). */
    private long delta(int g, int l, int dir) {
        return space.prunedCount(g, l + dir) - space.prunedCount(g, l);
    }

    /**
     * A random gene that can move in direction dir; prefers moves that do not leave the window on
     * the other side, else the smallest move.
     */
    private int pickMove(int[] genome, int dir, long p, Rng rng) {
        List<Integer> good = new ArrayList<>();
        int smallest = -1;
        long smallestD = Long.MAX_VALUE;
        for (int g = 0; g < genome.length; g++) {
            int nl = genome[g] + dir;
            if (nl < 0 || nl > space.maxLevel()) continue;
            long d = delta(g, genome[g], dir);
            long np = p + d;
            boolean ok = dir > 0 ? np <= maxPruned || p + d < minPruned : np >= minPruned;
            if (ok) good.add(g);
            if (Math.abs(d) < smallestD) { smallestD = Math.abs(d); smallest = g; }
        }
        if (!good.isEmpty()) return good.get(rng.nextInt(good.size()));
        return dir > 0 ? smallest : -1;
    }

    /** Last resort: one gene up and another down (or the reverse) landing inside the window. */
    private void pairFix(int[] genome, Rng rng) {
        for (int round = 0; round < 4 * genome.length && !accepts(genome); round++) {
            long p = space.prunedCount(genome);
            List<int[]> moves = new ArrayList<>();
            long bestDist = Long.MAX_VALUE;
            int[] bestMove = null;
            for (int a = 0; a < genome.length; a++) {
                for (int da = -1; da <= 1; da += 2) {
                    if (genome[a] + da < 0 || genome[a] + da > space.maxLevel()) continue;
                    long pa = p + delta(a, genome[a], da);
                    if (pa >= minPruned && pa <= maxPruned) { moves.add(new int[]{a, da, -1, 0}); continue; }
                    for (int b = 0; b < genome.length; b++) {
                        if (b == a || genome[b] - da < 0 || genome[b] - da > space.maxLevel()) continue;
                        long pb = pa + delta(b, genome[b], -da);
                        if (pb >= minPruned && pb <= maxPruned) moves.add(new int[]{a, da, b, -da});
                        long dist = pb < minPruned ? minPruned - pb : Math.max(0, pb - maxPruned);
                        if (dist < bestDist && dist < distance(p)) { bestDist = dist; bestMove = new int[]{a, da, b, -da}; }
                    }
                }
            }
            int[] mv = !moves.isEmpty() ? moves.get(rng.nextInt(moves.size())) : bestMove;
            if (mv == null) return;
            genome[mv[0]] += mv[1];
            if (mv[2] >= 0) genome[mv[2]] += mv[3];
        }
    }

    private long distance(long p) { return p < minPruned ? minPruned - p : Math.max(0, p - maxPruned); }

    static int[] filled(SearchSpace space, int level) {
        int[] g = new int[space.geneCount()];
        Arrays.fill(g, level);
        return g;
    }

    static double[] uniformDesired(SearchSpace space, double s) {
        double[] d = new double[space.geneCount()];
        Arrays.fill(d, s);
        return d;
    }

    @Override public String toString() {
        return String.format(Locale.ROOT, "Budget[target=%.4f, pruned %d..%d of %d (window +%.5f)]", target, minPruned, maxPruned, space.total(), tolerance());
    }
}
