package dev.mixprune.allocate;

import java.util.Arrays;

/**
 * The dense model's next-token distributions on the fitness pool, the reference of KL fitness.
 *
 * <p>Top-k (default): for every position the k most probable tokens (sorted by id) with their
 * probabilities P_v, the remaining mass P_rest = 1 - sum_topk P_v, and the constant
 * C = sum_topk P_v log P_v + P_rest log P_rest. A candidate's KL is then the KL between the two
 * distributions coarsened to the k dense top tokens plus one "rest" bucket:
 * <pre>
 *   KL_k = sum_topk P_v (log P_v - log Q_v) + P_rest (log P_rest - log Q_rest)
 *        = C - sum_topk P_v z_v + (sum_topk P_v) lse(z) - P_rest log Q_rest
 * </pre>
 * which never exceeds the exact KL (log-sum inequality) and equals it when k covers the vocabulary.
 * Memory: positions x (12 k + 24) bytes, independent of the vocabulary (32 windows x 512 tokens,
 * k = 64: 12.9 MB, whether the vocabulary has 512 or 128k entries).
 *
 * <p>Exact ({@code k = 0}): every position's full distribution as float, positions x vocabulary x 4
 * bytes (32 x 512 x 32k: 2 GiB); kept for comparison.
 */
public final class DenseTargets {
    /** A run of exact dense probabilities: {@code data[offset ..]}. */
    public record Slice(float[] data, int offset) {}

    private final int windows, len, vocab, k;
    // top-k: [position * k + j], ids ascending within a position
    private final int[] topIdx;
    private final double[] topP;
    private final double[] constant, topMass, restMass; // [position]
    // exact: [window][t * vocab + v]
    private final float[][] probs;
    private final double[][] negEntropy;

    private DenseTargets(int windows, int len, int vocab, int k, int[] topIdx, double[] topP, double[] constant, double[] topMass,
                         double[] restMass, float[][] probs, double[][] negEntropy) {
        this.windows = windows;
        this.len = len;
        this.vocab = vocab;
        this.k = k;
        this.topIdx = topIdx;
        this.topP = topP;
        this.constant = constant;
        this.topMass = topMass;
        this.restMass = restMass;
        this.probs = probs;
        this.negEntropy = negEntropy;
    }

    public boolean exact() { return probs != null; }

    /** Tokens kept per position (top-k mode). */
    public int k() { return k; }

    int topBase(int window, int t) { return (window * len + t) * k; }

    int[] topIndices() { return topIdx; }

    double[] topProbs() { return topP; }

    double constant(int window, int t) { return constant[window * len + t]; }

    double topMass(int window, int t) { return topMass[window * len + t]; }

    double restMass(int window, int t) { return restMass[window * len + t]; }

    /** Index within the position's top-k list of the first id >= v. */
    int firstAtOrAbove(int window, int t, int v) {
        int base = topBase(window, t), lo = 0, hi = k;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (topIdx[base + mid] < v) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /** The dense top-k token ids of a position, ascending (tests). */
    public int[] topTokens(int window, int t) { return Arrays.copyOfRange(topIdx, topBase(window, t), topBase(window, t) + k); }

    /** The remaining dense mass outside the top-k at a position (tests, reports). */
    public double rest(int window, int t) { return restMass[window * len + t]; }

    Slice exactProbs(int window, int t, int v0, int n) { return new Slice(probs[window], t * vocab + v0); }

    double negEntropy(int window, int t) { return negEntropy[window][t]; }

    /** Bytes held. */
    public long bytes() {
        if (exact()) return (long) windows * len * (4L * vocab + 8);
        return (long) windows * len * (12L * k + 24);
    }

    private static final int MAGIC = 0x4d584454; // "MXDT"
    private static final int VERSION = 1;

    /**
     * Writes these targets to {@code file} (big-endian, versioned) so that another process can
     * {@link #read} exactly the same values (a cluster member rebuilding the coordinator's fitness).
     */
    public void write(java.nio.file.Path file) throws java.io.IOException {
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(new java.io.BufferedOutputStream(
                java.nio.file.Files.newOutputStream(file), 1 << 20))) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(windows);
            out.writeInt(len);
            out.writeInt(vocab);
            out.writeInt(k);
            if (exact()) {
                for (int w = 0; w < windows; w++) {
                    for (float v : probs[w]) out.writeFloat(v);
                    for (double v : negEntropy[w]) out.writeDouble(v);
                }
            } else {
                for (int v : topIdx) out.writeInt(v);
                for (double v : topP) out.writeDouble(v);
                for (double[] a : new double[][]{constant, topMass, restMass}) for (double v : a) out.writeDouble(v);
            }
        }
    }

    /** Reads what {@link #write} wrote; refuses a file whose shape is not the expected one. */
    public static DenseTargets read(java.nio.file.Path file, int windows, int len, int vocab) throws java.io.IOException {
        try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(
                java.nio.file.Files.newInputStream(file), 1 << 20))) {
            if (in.readInt() != MAGIC || in.readInt() != VERSION) throw dev.mixprune.BadInputException.in(file, "not a dense-targets file of version " + VERSION);
            int w = in.readInt(), l = in.readInt(), v = in.readInt(), k = in.readInt();
            if (w != windows || l != len || v != vocab || k < 0 || k > vocab) {
                throw dev.mixprune.BadInputException.in(file, String.format("dense targets for %d windows x %d tokens, vocabulary %d, k %d; expected %d x %d, vocabulary %d",
                        w, l, v, k, windows, len, vocab));
            }
            if (k == 0) {
                float[][] probs = new float[w][];
                double[][] negEntropy = new double[w][];
                for (int i = 0; i < w; i++) {
                    probs[i] = new float[Math.multiplyExact(l, v)];
                    for (int j = 0; j < probs[i].length; j++) probs[i][j] = in.readFloat();
                    negEntropy[i] = new double[l];
                    for (int j = 0; j < l; j++) negEntropy[i][j] = in.readDouble();
                }
                if (in.read() != -1) throw dev.mixprune.BadInputException.in(file, "trailing bytes after the dense targets");
                return new DenseTargets(w, l, v, 0, null, null, null, null, null, probs, negEntropy);
            }
            int positions = w * l;
            int[] idx = new int[positions * k];
            double[] p = new double[positions * k];
            double[] constant = new double[positions], topMass = new double[positions], restMass = new double[positions];
            for (int j = 0; j < idx.length; j++) idx[j] = in.readInt();
            for (int j = 0; j < p.length; j++) p[j] = in.readDouble();
            for (double[] a : new double[][]{constant, topMass, restMass}) for (int j = 0; j < positions; j++) a[j] = in.readDouble();
            if (in.read() != -1) throw dev.mixprune.BadInputException.in(file, "trailing bytes after the dense targets");
            return new DenseTargets(w, l, v, k, idx, p, constant, topMass, restMass, null, null);
        }
    }

    /** Collects the dense logits row by row (exact) or vocabulary chunk by chunk (top-k). */
    static final class Builder {
        private final int windows, len, vocab, k;
        private final float[][] probs;
        private final double[][] negEntropy;
        // top-k heaps: worst entry at [base]; (z, id) with higher z, then lower id, better
        private final float[] heapZ;
        private final int[] heapId, heapSize;
        private final float[] max;
        private final double[] sum;
        private final boolean[] started;

        Builder(int windows, int len, int vocab, int topK) {
            this.windows = windows;
            this.len = len;
            this.vocab = vocab;
            this.k = topK == 0 ? 0 : Math.min(topK, vocab);
            int positions = windows * len;
            if (topK == 0) {
                probs = new float[windows][];
                negEntropy = new double[windows][];
                for (int w = 0; w < windows; w++) {
                    probs[w] = new float[Math.multiplyExact(len, vocab)];
                    negEntropy[w] = new double[len];
                }
                heapZ = null;
                heapId = heapSize = null;
                max = null;
                sum = null;
                started = null;
            } else {
                probs = null;
                negEntropy = null;
                heapZ = new float[positions * k];
                heapId = new int[positions * k];
                heapSize = new int[positions];
                max = new float[positions];
                sum = new double[positions];
                started = new boolean[positions];
            }
        }

        /** Exact: one position's full logits row z[o .. o + vocab). */
        void exactRow(int window, int t, float[] z, int o) {
            double lse = lse(z, o, vocab);
            float[] p = probs[window];
            double acc = 0;
            int po = t * vocab;
            for (int v = 0; v < vocab; v++) {
                double lp = z[o + v] - lse;
                double pv = Math.exp(lp);
                p[po + v] = (float) pv;
                acc += pv * lp;
            }
            negEntropy[window][t] = acc;
        }

        static double lse(float[] z, int off, int n) {
            float max = Float.NEGATIVE_INFINITY;
            for (int v = 0; v < n; v++) max = Math.max(max, z[off + v]);
            double s = 0;
            for (int v = 0; v < n; v++) s += Math.exp(z[off + v] - max);
            return max + Math.log(s);
        }

        /** Top-k: logits of tokens [v0, v0 + n) at one position. */
        void topKChunk(int window, int t, int v0, float[] z, int o, int n) {
            int pos = window * len + t, base = pos * k;
            float m = Float.NEGATIVE_INFINITY;
            for (int v = 0; v < n; v++) m = Math.max(m, z[o + v]);
            double s = 0;
            for (int v = 0; v < n; v++) s += Math.exp(z[o + v] - m);
            if (!started[pos]) {
                started[pos] = true;
                max[pos] = m;
                sum[pos] = s;
            } else {
                float nm = Math.max(max[pos], m);
                sum[pos] = sum[pos] * Math.exp(max[pos] - nm) + s * Math.exp(m - nm);
                max[pos] = nm;
            }
            for (int v = 0; v < n; v++) {
                float zv = z[o + v];
                int id = v0 + v;
                int size = heapSize[pos];
                if (size < k) {
                    // sift up
                    int i = size;
                    heapSize[pos] = size + 1;
                    while (i > 0) {
                        int parent = (i - 1) >>> 1;
                        if (!worse(zv, id, heapZ[base + parent], heapId[base + parent])) break;
                        heapZ[base + i] = heapZ[base + parent];
                        heapId[base + i] = heapId[base + parent];
                        i = parent;
                    }
                    heapZ[base + i] = zv;
                    heapId[base + i] = id;
                } else if (worse(heapZ[base], heapId[base], zv, id)) {
                    // replace the worst, sift down
                    int i = 0;
                    while (true) {
                        int l = 2 * i + 1, r = l + 1, w = i;
                        float wz = zv;
                        int wid = id;
                        if (l < k && worse(heapZ[base + l], heapId[base + l], wz, wid)) { w = l; wz = heapZ[base + l]; wid = heapId[base + l]; }
                        if (r < k && worse(heapZ[base + r], heapId[base + r], wz, wid)) { w = r; }
                        if (w == i) break;
                        heapZ[base + i] = heapZ[base + w];
                        heapId[base + i] = heapId[base + w];
                        i = w;
                    }
                    heapZ[base + i] = zv;
                    heapId[base + i] = id;
                }
            }
        }

        /** (za, ia) ranks below (zb, ib): lower logit, or the same logit and a higher id. */
        private static boolean worse(float za, int ia, float zb, int ib) {
            int c = Float.compare(za, zb);
            return c < 0 || (c == 0 && ia > ib);
        }

        DenseTargets finish() {
            if (k == 0) return new DenseTargets(windows, len, vocab, 0, null, null, null, null, null, probs, negEntropy);
            int positions = windows * len;
            int[] idx = new int[positions * k];
            double[] p = new double[positions * k];
            double[] constant = new double[positions], topMass = new double[positions], restMass = new double[positions];
            Integer[] order = new Integer[k];
            for (int pos = 0; pos < positions; pos++) {
                int base = pos * k;
                if (heapSize[pos] != k) throw new IllegalStateException("position " + pos + " saw " + heapSize[pos] + " of " + k + " tokens");
                double lse = max[pos] + Math.log(sum[pos]);
                for (int j = 0; j < k; j++) order[j] = base + j;
                Arrays.sort(order, (a, b) -> Integer.compare(heapId[a], heapId[b]));
                double c = 0, mass = 0;
                for (int j = 0; j < k; j++) {
                    double lp = heapZ[order[j]] - lse;
                    double pv = Math.exp(lp);
                    idx[base + j] = heapId[order[j]];
                    p[base + j] = pv;
                    c += pv * lp;
                    mass += pv;
                }
                double rest = k >= vocab ? 0 : Math.max(0, 1 - mass);
                if (rest > 0) c += rest * Math.log(rest);
                constant[pos] = c;
                topMass[pos] = mass;
                restMass[pos] = rest;
            }
            return new DenseTargets(windows, len, vocab, k, idx, p, constant, topMass, restMass, null, null);
        }
    }
}
