package dev.mixprune.model.backward;

import dev.mixprune.model.LlamaConfig;

/**
 * Everything the backward needs from one forward of one sequence (algorithms.md 10.2), plus the
 * backward's scratch buffers, sized once for sequences of up to {@code capacity} tokens. One tape
 * per worker thread; reusing it across windows avoids reallocating ~tens of MB per window.
 * Attention probabilities are stored lower-triangular per head: row t starts at t(t+1)/2.
 */
public final class Tape {
    final LlamaConfig config;
    final int capacity;
    /** Length of the sequence currently recorded. */
    int tokens;
    /** Mean next-token NLL of the recorded sequence. */
    double loss;

    // per layer [L][...]
    final double[][] xIn;   // residual stream entering the block [T][D]
    final double[][] r1;    // attention RMSNorm 1/rms [T]
    final double[][] a;     // attention RMSNorm output [T][D]
    final double[][] q;     // queries after RoPE [T][D]
    final double[][] k;     // keys after RoPE [T][KV]
    final double[][] v;     // values [T][KV]
    final double[][][] att; // softmax probabilities [L][H][T(T+1)/2]
    final double[][] o;     // concatenated head outputs [T][D]
    final double[][] h;     // residual after attention [T][D]
    final double[][] r2;    // FFN RMSNorm 1/rms [T]
    final double[][] b;     // FFN RMSNorm output [T][D]
    final double[][] u;     // W1 b [T][H]
    final double[][] z;     // W3 b [T][H]
    final double[][] s;     // silu(u) * z [T][H]

    final double[] xFinal;  // residual stream after the last block [T][D]
    final double[] rFinal;  // final RMSNorm 1/rms [T]
    final double[] nFinal;  // final RMSNorm output [T][D]
    final double[] probs;   // softmax of the logits of positions 0..T-2 [T-1][V]

    // RoPE tables [T][hs/2]
    final double[] cos;
    final double[] sin;

    // scratch
    final double[] wT;      // transposed weight for matmulWT
    final double[] dyT;     // transposed output gradient for addDw [max(V,H,D)][T]
    final double[] dRes;    // gradient of the residual stream [T][D]
    final double[] dA;      // gradient of a norm output [T][D]
    final double[] dQ, dK, dV, dO;
    final double[] dU, dZ, dS;
    final double[] dLogits; // [T-1][V]
    final double[] dAttRow; // [T]
    final double[] kT, vT;  // one layer's K and V transposed per kv head [KVH][hs][T]
    final double[] dKT, dVT;

    public Tape(LlamaConfig c, int capacity) {
        if (capacity < 2) throw new IllegalArgumentException("a sequence needs at least 2 tokens for a next-token loss, capacity " + capacity);
        this.config = c;
        this.capacity = capacity;
        int L = c.nLayers(), T = capacity, D = c.dim(), Q = c.qDim(), KV = c.kvDim(), H = c.hiddenDim(), V = c.vocabSize();
        long tri = (long) T * (T + 1) / 2;
        if (tri * c.nHeads() > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("sequence of " + T + " tokens too long for the attention tape");
        xIn = new double[L][T * D];
        r1 = new double[L][T];
        a = new double[L][T * D];
        q = new double[L][T * Q];
        k = new double[L][T * KV];
        v = new double[L][T * KV];
        att = new double[L][c.nHeads()][(int) tri];
        o = new double[L][T * Q];
        h = new double[L][T * D];
        r2 = new double[L][T];
        b = new double[L][T * D];
        u = new double[L][T * H];
        z = new double[L][T * H];
        s = new double[L][T * H];
        xFinal = new double[T * D];
        rFinal = new double[T];
        nFinal = new double[T * D];
        probs = new double[(T - 1) * V];

        int half = c.headSize() / 2;
        cos = new double[T * half];
        sin = new double[T * half];
        double theta = exactDecimal(c.ropeTheta());
        double[] divisors = c.ropeScaling().divisors(c.headSize(), theta);
        for (int pos = 0; pos < T; pos++) {
            for (int j = 0; j < half; j++) {
                double freq = 1.0 / (Math.pow(theta, (2.0 * j) / c.headSize()) * divisors[j]);
                double angle = pos * freq;
                cos[pos * half + j] = Math.cos(angle);
                sin[pos * half + j] = Math.sin(angle);
            }
        }

        int maxW = 0;
        for (var kind : dev.mixprune.model.LayerKind.values()) maxW = Math.max(maxW, Math.toIntExact(c.weightsOf(kind)));
        maxW = Math.max(maxW, V * D);
        wT = new double[maxW];
        dyT = new double[T * Math.max(V, Math.max(H, Math.max(D, Q)))];
        dRes = new double[T * D];
        dA = new double[T * D];
        dQ = new double[T * Q];
        dK = new double[T * KV];
        dV = new double[T * KV];
        dO = new double[T * Q];
        dU = new double[T * H];
        dZ = new double[T * H];
        dS = new double[T * H];
        dLogits = new double[(T - 1) * V];
        dAttRow = new double[T];
        kT = new double[T * KV];
        vT = new double[T * KV];
        dKT = new double[T * KV];
        dVT = new double[T * KV];
    }

    public int capacity() { return capacity; }

    /** Mean next-token NLL of the last recorded forward. */
    public double loss() { return loss; }

    /** Start of attention row t in the triangular layout. */
    static int triRow(int t) { return t * (t + 1) / 2; }

    /**
     * The decimal a float config value was written as (1e-5f becomes 1.0e-5, not 9.99999974e-6),
     * so that the double forward matches a float64 reference that used the literal.
     */
    static double exactDecimal(float f) { return Double.parseDouble(Float.toString(f)); }

    /** Approximate bytes held by a tape for this config and capacity (for sizing worker counts). */
    public static long bytesFor(LlamaConfig c, int capacity) {
        long T = capacity, D = c.dim(), Q = c.qDim(), KV = c.kvDim(), H = c.hiddenDim(), V = c.vocabSize(), L = c.nLayers();
        long perLayer = T * (5 * D + 2 * Q + 2 * KV + 3 * H + 2) + c.nHeads() * T * (T + 1) / 2;
        long scratch = 2 * T * D + 2 * T * Q + 6 * T * KV + 3 * T * H + 2 * (T - 1) * V + T * Math.max(V, Math.max(H, Math.max(D, Q)));
        return 8 * (L * perLayer + 3 * T * D + T + scratch + V * D);
    }
}
