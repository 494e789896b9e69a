package dev.mixprune.allocate;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.prune.Pattern;
import dev.mixprune.tensor.Matrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;

/**
 * Cheap search candidates: every weight of every layer is ranked once inside its comparison
 * group, so that the mask of any level is a threshold on the precomputed rank (rank &lt; k: pruned).
 * Groups: Wanda unstructured, one row (algorithms.md §3.2); magnitude unstructured, the whole
 * matrix (§2); N:M, each group of M consecutive inputs of a row (a short tail group prunes
 * size - N when larger than N). Ties rank by index (a stable sort), so masks are deterministic.
 */
public final class CandidateModel {
    public enum Scoring { MAGNITUDE, WANDA, DATABASE }

    private final LlamaWeights dense;
    private final SearchSpace space;
    private final Scoring scoring;
    private final List<LayerId> layers;
    private final int[][] ranks; // [layer index in LayerId.all order][weight]
    private final LevelDatabase database; // non-null for Scoring.DATABASE

    private CandidateModel(LlamaWeights dense, SearchSpace space, Scoring scoring, WandaScalers scalers) {
        this.dense = dense;
        this.space = space;
        this.scoring = scoring;
        this.layers = LayerId.all(dense.config());
        this.ranks = new int[layers.size()][];
        this.database = null;
        boolean nm = space.levels().isNM();
        int m = nm ? ((Pattern.NM) space.levels().pattern(0)).m() : 0;
        for (int i = 0; i < layers.size(); i++) {
            LayerId id = layers.get(i);
            Matrix w = dense.linear(id);
            float[] score = scores(w, scoring == Scoring.WANDA ? scalers.of(id.block(), id.kind().input()) : null);
            if (nm) ranks[i] = rankInGroups(score, w.rows(), w.cols(), m);
            else if (scoring == Scoring.WANDA) ranks[i] = rankInGroups(score, w.rows(), w.cols(), w.cols());
            else ranks[i] = rankInGroups(score, 1, w.size(), w.size());
        }
    }

    private CandidateModel(LlamaWeights dense, LevelDatabase db) {
        this.dense = dense;
        this.space = db.space();
        this.scoring = Scoring.DATABASE;
        this.layers = LayerId.all(dense.config());
        this.ranks = null;
        this.database = db;
    }

    /** Candidates assembled from a level database (SparseGPT): stored matrices are shared, not copied. */
    public static CandidateModel fromDatabase(LlamaWeights dense, LevelDatabase db) {
        return new CandidateModel(dense, db);
    }

    public static CandidateModel magnitude(LlamaWeights dense, SearchSpace space) {
        return new CandidateModel(dense, space, Scoring.MAGNITUDE, null);
    }

    /** Wanda ranks from dense-propagated activation statistics. */
    public static CandidateModel wanda(LlamaWeights dense, SearchSpace space, WandaScalers scalers) {
        return new CandidateModel(dense, space, Scoring.WANDA, scalers);
    }

    public SearchSpace space() { return space; }
    public LlamaWeights dense() { return dense; }
    public Scoring scoring() { return scoring; }

    /** |W| (magnitude) or |W| * sqrt(scaler_col) (Wanda), row-major. */
    static float[] scores(Matrix w, float[] scaler) {
        float[] d = w.data();
        float[] s = new float[d.length];
        for (int r = 0; r < w.rows(); r++) {
            for (int c = 0; c < w.cols(); c++) {
                int i = r * w.cols() + c;
                s[i] = scaler == null ? Math.abs(d[i]) : (float) (Math.abs(d[i]) * Math.sqrt(scaler[c]));
            }
        }
        return s;
    }

    /**
     * Rank of every entry inside its group: groups of {@code group} consecutive entries of each
     * of {@code rows} rows of length {@code cols} (the last group of a row may be shorter).
     * Non-negative floats order like their bit patterns, so (bits << 32 | index) sorts stably.
     */
    static int[] rankInGroups(float[] score, int rows, int cols, int group) {
        int[] rank = new int[score.length];
        long[] keys = new long[Math.min(group, cols)];
        for (int r = 0; r < rows; r++) {
            for (int c0 = 0; c0 < cols; c0 += group) {
                int n = Math.min(group, cols - c0);
                int base = r * cols + c0;
                for (int j = 0; j < n; j++) keys[j] = ((long) Float.floatToIntBits(score[base + j]) << 32) | j;
                Arrays.sort(keys, 0, n);
                for (int k = 0; k < n; k++) rank[base + (int) (keys[k] & 0xFFFFFFFFL)] = k;
            }
        }
        return rank;
    }

    /** The dense weights masked with this layer's level: a new matrix. */
    public Matrix masked(LayerId id, int level) {
        if (database != null) return database.get(id, level);
        Matrix w = dense.linear(id);
        int li = id.block() * LayerKind.values().length + id.kind().ordinal();
        int[] rk = ranks[li];
        float[] src = w.data();
        float[] dst = new float[src.length];
        int rows = w.rows(), cols = w.cols();
        Pattern p = space.levels().pattern(level);
        switch (p) {
            case Pattern.Unstructured u -> {
                long k = u.prunedCount(rows, cols);
                int thr = (int) (scoring == Scoring.WANDA ? k / rows : k); // per row, or per matrix
                for (int i = 0; i < src.length; i++) dst[i] = rk[i] < thr ? 0f : src[i];
            }
            case Pattern.NM nm -> {
                int[] thr = new int[cols];
                for (int c = 0; c < cols; c++) {
                    int size = Math.min(nm.m(), cols - (c / nm.m()) * nm.m());
                    thr[c] = Math.max(0, size - nm.n());
                }
                for (int r = 0; r < rows; r++) {
                    int o = r * cols;
                    for (int c = 0; c < cols; c++) dst[o + c] = rk[o + c] < thr[c] ? 0f : src[o + c];
                }
            }
        }
        return new Matrix(rows, cols, dst);
    }

    /** A model whose prunable layers are masked by the genome; embeddings, norms, classifier shared with dense. */
    public LlamaWeights build(int[] genome) {
        space.check(genome);
        LlamaConfig c = dense.config();
        List<BlockWeights> blocks = new ArrayList<>(c.nLayers());
        for (int b = 0; b < c.nLayers(); b++) {
            BlockWeights d = dense.block(b);
            EnumMap<LayerKind, Matrix> m = new EnumMap<>(LayerKind.class);
            for (LayerKind k : LayerKind.values()) {
                LayerId id = new LayerId(b, k);
                m.put(k, masked(id, genome[space.geneOf(id)]));
            }
            blocks.add(new BlockWeights(d.attNorm(), d.ffnNorm(), m));
        }
        return new LlamaWeights(c, dense.tokenEmbedding(), blocks, dense.finalNorm(), dense.classifier());
    }
}
