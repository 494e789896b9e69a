package dev.mixprune.allocate;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.InputGroup;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.InputStats;
import dev.mixprune.prune.MaskRule;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.prune.Selection;
import dev.mixprune.resources.SpillFile;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Search candidates for magnitude and Wanda with no per-weight state: a level's mask is derived on
 * the fly from the dense weights and the pruner's own {@link MaskRule}, so it is bit for bit what
 * {@code MagnitudePruner} / {@code WandaPruner} write for that level given the same statistics.
 * <ul>
 *   <li>N:M levels: the in-group order of the scores, computed as the weights are read (no state);</li>
 *   <li>unstructured levels: one {@link Selection.Cut} per level and comparison group (per row for
 *       Wanda, per matrix for magnitude), precomputed from one radix selection per group (Selection.cuts) and kept in a scratch
 *       file (12 bytes per row and level: 0.6 GB for 40 levels of a 7B model), read back per layer;</li>
 *   <li>Wanda's score needs sqrt(scaler_row) per input of every block: kept in memory (8 bytes per
 *       input feature and block).</li>
 * </ul>
 */
public final class ScoredLevels implements LevelMasks {
    private static final boolean VECTOR = dev.mixprune.tensor.KernelInfo.vectorAvailable();

    private final SearchSpace space;
    private final MaskRule[][] rules;       // [block][InputGroup]
    private final SpillFile cuts;           // null when every level is N:M
    private final long[][] cutOffsets;      // [layer][level]

    private ScoredLevels(SearchSpace space, MaskRule[][] rules, SpillFile cuts, long[][] cutOffsets) {
        this.space = space;
        this.rules = rules;
        this.cuts = cuts;
        this.cutOffsets = cutOffsets;
    }

    /** Bytes of the cut file for a space: groups x levels x 12 over all layers (0 for N:M levels). */
    public static long cutBytes(SearchSpace space, PruneMethod method) {
        if (space.levels().isNM()) return 0;
        LlamaConfig c = space.config();
        long groups = 0;
        for (LayerKind k : LayerKind.values()) groups += method == PruneMethod.WANDA ? c.rowsOf(k) : 1;
        return groups * c.nLayers() * space.levels().count() * 12L;
    }

    /** Collects, block by block from the dense statistics pass, what the candidates need. */
    public static final class Builder implements DenseStatistics.Consumer {
        private final SearchSpace space;
        private final PruneMethod method;
        private final MaskRule[][] rules;
        private final SpillFile cuts;
        private final long[][] offsets;

        public Builder(SearchSpace space, PruneMethod method, Path cutFile) throws java.io.IOException {
            if (method == PruneMethod.SPARSEGPT) throw new IllegalArgumentException("SparseGPT levels come from a LevelDatabase");
            this.space = space;
            this.method = method;
            LlamaConfig c = space.config();
            this.rules = new MaskRule[c.nLayers()][InputGroup.values().length];
            this.cuts = space.levels().isNM() ? null : new SpillFile(cutFile);
            this.offsets = new long[c.nLayers() * LayerKind.values().length][];
        }

        @Override public void accept(int block, BlockWeights dense, Map<InputGroup, InputStats> stats) {
            for (InputGroup g : InputGroup.values()) {
                rules[block][g.ordinal()] = method == PruneMethod.WANDA ? MaskRule.wanda(stats.get(g).scalerRow()) : MaskRule.magnitude();
            }
            if (cuts == null) return;
            for (LayerKind k : LayerKind.values()) {
                LayerId id = new LayerId(block, k);
                offsets[index(id)] = writeCuts(cuts, space.levels(), rules[block][k.input().ordinal()], dense.linear(k));
            }
        }

        public ScoredLevels finish() {
            for (MaskRule[] r : rules) for (MaskRule m : r) if (m == null) throw new IllegalStateException("statistics pass did not reach every block");
            return new ScoredLevels(space, rules, cuts, offsets);
        }
    }

    /** Cuts of every unstructured level for one layer, appended level by level; returns each level's offset. */
    static long[] writeCuts(SpillFile file, Levels levels, MaskRule rule, Matrix w) {
        Selection.Cut[][] cut = cuts(levels, rule, w); // [group][level]
        int groups = cut.length;
        long[] at = new long[levels.count()];
        ByteBuffer buf = ByteBuffer.allocate(groups * 12).order(ByteOrder.LITTLE_ENDIAN);
        for (int l = 0; l < levels.count(); l++) {
            buf.clear();
            for (Selection.Cut[] g : cut) buf.putDouble(g[l].value());
            for (Selection.Cut[] g : cut) buf.putInt(g[l].lastTie());
            buf.flip();
            at[l] = file.append(buf);
        }
        return at;
    }

    /** [group][level]: one selection per comparison group (Selection.cuts), every level's count cut from it. */
    static Selection.Cut[][] cuts(Levels levels, MaskRule rule, Matrix w) {
        int rows = w.rows(), cols = w.cols();
        float[] d = w.data();
        long[] ks = new long[levels.count()];
        for (int l = 0; l < ks.length; l++) ks[l] = rule.unstructuredCount(rows, cols, ((Pattern.Unstructured) levels.pattern(l)).sparsity());
        if (rule.unstructuredGroup() == MaskRule.Group.MATRIX) {
            double[] score = new double[d.length];
            for (int r = 0; r < rows; r++) rule.scoreRow(d, r * cols, cols, score, r * cols);
            return new Selection.Cut[][]{Selection.cuts(score, score.length, ks)};
        }
        Selection.Cut[][] out = new Selection.Cut[rows][];
        ThreadTeam.RangeBody body = (from, to) -> {
            double[] score = new double[cols];
            for (int r = from; r < to; r++) {
                rule.scoreRow(d, r * cols, cols, score, 0);
                out[r] = Selection.cuts(score, cols, ks);
            }
        };
        if ((long) rows * cols < 1 << 16) body.run(0, rows);
        else ThreadTeam.shared().forRange(0, rows, Math.max(1, (1 << 15) / cols), body);
        return out;
    }

    private static int index(LayerId id) { return id.block() * LayerKind.values().length + id.kind().ordinal(); }

    @Override public SearchSpace space() { return space; }

    @Override public String describe() { return "scored"; }

    @Override public long diskBytes() { return cuts == null ? 0 : cuts.size(); }

    /** The rule layer {@code id} is scored with (Wanda's carries the block's statistics). */
    public MaskRule rule(LayerId id) { return rules[id.block()][id.kind().input().ordinal()]; }

    @Override public void apply(LayerId id, int level, Matrix w) {
        Pattern p = space.levels().pattern(level);
        MaskRule rule = rule(id);
        int rows = w.rows(), cols = w.cols();
        float[] d = w.data();
        ThreadTeam.RangeBody body;
        if (p instanceof Pattern.NM nm) {
            body = (from, to) -> {
                double[] score = new double[cols];
                boolean[] mask = new boolean[cols];
                int[] order = new int[nm.m()];
                for (int r = from; r < to; r++) {
                    int off = r * cols;
                    rule.scoreRow(d, off, cols, score, 0);
                    java.util.Arrays.fill(mask, false);
                    Selection.markRowNM(score, cols, nm, mask, 0, order);
                    for (int c = 0; c < cols; c++) if (mask[c]) d[off + c] = 0f;
                }
            };
        } else {
            if (rule.unstructuredCount(rows, cols, ((Pattern.Unstructured) p).sparsity()) == 0) return; // nothing pruned at this level
            boolean perRow = rule.unstructuredGroup() == MaskRule.Group.ROW;
            int groups = perRow ? rows : 1;
            ByteBuffer buf = ByteBuffer.allocate(groups * 12).order(ByteOrder.LITTLE_ENDIAN);
            cuts.read(cutOffsets[index(id)][level], buf);
            buf.flip();
            double[] value = new double[groups];
            int[] last = new int[groups];
            for (int g = 0; g < groups; g++) value[g] = buf.getDouble();
            for (int g = 0; g < groups; g++) last[g] = buf.getInt();
            double[] norm = rule instanceof MaskRule.Wanda wa ? wa.norm() : null;
            body = (from, to) -> {
                for (int r = from; r < to; r++) {
                    int off = r * cols;
                    int g = perRow ? r : 0, base = perRow ? -off : 0; // index within the comparison group = off + c + base
                    double t = value[g];
                    int lt = last[g];
                    if (Double.isNaN(t)) { // Cut.ALL, or a cut among NaN scores (a broken model): Double.compare's order
                        double[] score = new double[cols];
                        rule.scoreRow(d, off, cols, score, 0);
                        for (int c = 0; c < cols; c++) {
                            int cmp = Double.compare(score[c], t);
                            if (cmp < 0 || (cmp == 0 && off + c + base <= lt)) d[off + c] = 0f;
                        }
                        continue;
                    }
                    // Scores are |w| or |w| * norm >= 0 (or NaN, never taken), so < and == agree with Double.compare here.
                    int tieEnd = (int) Math.min(cols, Math.max(0L, (long) lt - off - base + 1)); // columns c < tieEnd may take ties
                    if (VECTOR) {
                        CutKernel.zeroTaken(d, off, cols, norm, t, tieEnd);
                    } else {
                        for (int c = 0; c < cols; c++) {
                            double sc = norm == null ? Math.abs(d[off + c]) : Math.abs(d[off + c]) * norm[c];
                            if (sc < t || (sc == t && c < tieEnd)) d[off + c] = 0f;
                        }
                    }
                }
            };
        }
        if ((long) rows * cols < 1 << 16) body.run(0, rows);
        else ThreadTeam.shared().forRange(0, rows, Math.max(1, (1 << 15) / cols), body);
    }

    @Override public void close() {
        if (cuts != null) cuts.close();
    }

    @Override public Portable portable() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = LevelMasksHeader.start(bytes, LevelMasksHeader.SCORED, space)) {
            boolean wanda = rules[0][0] instanceof MaskRule.Wanda;
            out.writeBoolean(wanda);
            if (wanda) {
                for (MaskRule[] block : rules) {
                    for (MaskRule r : block) {
                        double[] norm = ((MaskRule.Wanda) r).norm();
                        out.writeInt(norm.length);
                        for (double v : norm) out.writeDouble(v);
                    }
                }
            }
            out.writeBoolean(cuts != null);
            if (cuts != null) LevelMasksHeader.writeOffsets(out, cutOffsets);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return new Portable(bytes.toByteArray(), cuts == null ? null : cuts.path());
    }

    private static int inputWidth(LlamaConfig c, InputGroup g) {
        for (LayerKind k : LayerKind.values()) if (k.input() == g) return c.colsOf(k);
        throw new AssertionError(g);
    }

    /** The rest of a {@link #portable} header, after the shared part. */
    static ScoredLevels restore(SearchSpace space, java.io.DataInputStream in, Path data) throws java.io.IOException {
        LlamaConfig c = space.config();
        MaskRule[][] rules = new MaskRule[c.nLayers()][InputGroup.values().length];
        boolean wanda = in.readBoolean();
        for (int b = 0; b < c.nLayers(); b++) {
            for (InputGroup g : InputGroup.values()) {
                if (!wanda) {
                    rules[b][g.ordinal()] = MaskRule.magnitude();
                    continue;
                }
                int n = in.readInt(), cols = inputWidth(c, g);
                if (n != cols) throw new dev.mixprune.BadInputException("level-masks header: block " + b + " " + g + " has "
                        + n + " Wanda norms, the model's input has " + cols);
                double[] norm = new double[n];
                for (int j = 0; j < n; j++) norm[j] = in.readDouble();
                rules[b][g.ordinal()] = new MaskRule.Wanda(norm);
            }
        }
        boolean hasCuts = in.readBoolean();
        if (hasCuts != !space.levels().isNM()) throw new dev.mixprune.BadInputException("level-masks header: cut file " + (hasCuts ? "present" : "missing"));
        if (!hasCuts) return new ScoredLevels(space, rules, null, new long[c.nLayers() * LayerKind.values().length][]);
        long[][] offsets = LevelMasksHeader.readOffsets(in, c.nLayers() * LayerKind.values().length, space.levels().count());
        if (data == null) throw new IllegalArgumentException("the cut file is missing");
        return new ScoredLevels(space, rules, SpillFile.openExisting(data), offsets);
    }

    /** Levels that every gene may take, for tests. */
    List<Pattern> patterns() { return space.levels().patterns(); }
}
