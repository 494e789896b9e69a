package dev.mixprune.allocate;

import dev.mixprune.model.BlockForward;
import dev.mixprune.model.InputGroup;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;

import java.util.List;

/**
 * Wanda's per-column activation statistic scaler_row_j = (1/N_seq) * sum_t x_tj^2 (algorithms.md
 * §3.1) for every block and input group, from DENSE propagation (as OWL's pass 1 and the cheap
 * search candidates need). Layers of one {@link InputGroup} share it.
 */
public record WandaScalers(float[][][] values) { // [block][InputGroup.ordinal()][in_features]

    public float[] of(int block, InputGroup g) { return values[block][g.ordinal()]; }

    /** Accumulates sum of squares per column of each captured input, in double. */
    static final class Accumulator {
        final double[][][] sums;

        Accumulator(LlamaConfig c) {
            sums = new double[c.nLayers()][InputGroup.values().length][];
            for (int b = 0; b < c.nLayers(); b++) {
                sums[b][InputGroup.ATTN_IN.ordinal()] = new double[c.dim()];
                sums[b][InputGroup.ATTN_OUT.ordinal()] = new double[c.qDim()];
                sums[b][InputGroup.FFN_IN.ordinal()] = new double[c.dim()];
                sums[b][InputGroup.FFN_MID.ordinal()] = new double[c.hiddenDim()];
            }
        }

        void add(int block, InputGroup g, Matrix x) {
            double[] s = sums[block][g.ordinal()];
            if (x.cols() != s.length) throw new IllegalStateException("captured " + g + " of block " + block + " has " + x.cols() + " columns, expected " + s.length);
            float[] d = x.data();
            for (int t = 0; t < x.rows(); t++) {
                int o = t * x.cols();
                for (int j = 0; j < s.length; j++) s[j] += (double) d[o + j] * d[o + j];
            }
        }

        WandaScalers finish(int nSeq) {
            float[][][] v = new float[sums.length][][];
            for (int b = 0; b < sums.length; b++) {
                v[b] = new float[sums[b].length][];
                for (int g = 0; g < sums[b].length; g++) {
                    v[b][g] = new float[sums[b][g].length];
                    for (int j = 0; j < v[b][g].length; j++) v[b][g][j] = (float) (sums[b][g][j] / nSeq);
                }
            }
            return new WandaScalers(v);
        }
    }

    /** Dense forward over equal-length windows, block by block, capturing every linear's input. */
    public static WandaScalers collect(LlamaWeights w, List<int[]> windows) {
        if (windows.isEmpty()) throw new IllegalArgumentException("no calibration windows");
        LlamaConfig c = w.config();
        int seqLen = windows.get(0).length;
        for (int[] win : windows) if (win.length != seqLen) throw new IllegalArgumentException("calibration windows must have equal length");
        int nSeq = windows.size();
        Matrix x = new Matrix(nSeq * seqLen, c.dim());
        Matrix emb = w.tokenEmbedding();
        for (int s = 0; s < nSeq; s++) {
            for (int t = 0; t < seqLen; t++) {
                System.arraycopy(emb.data(), emb.offset(windows.get(s)[t]), x.data(), (s * seqLen + t) * c.dim(), c.dim());
            }
        }
        Accumulator acc = new Accumulator(c);
        for (int b = 0; b < c.nLayers(); b++) {
            x = BlockForward.forward(c, w.block(b), b, x, nSeq, seqLen, acc::add);
        }
        return acc.finish(nSeq);
    }
}
