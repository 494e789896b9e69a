package dev.mixprune.prune;

import dev.mixprune.tensor.Matrix;

import java.util.Random;

/** Random layers and correlated calibration inputs for pruner tests (seeded). */
final class PruneTestData {
    private PruneTestData() {}

    static Matrix gaussian(int rows, int cols, long seed) {
        Random r = new Random(seed);
        Matrix m = new Matrix(rows, cols);
        float[] d = m.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
        return m;
    }

    /**
     * Inputs with correlated features and uneven scales (like real activations), optionally some
     * dead (always zero) features. [nSeq*seqLen x in].
     */
    static Matrix activations(int nSeq, int seqLen, int in, long seed, int deadEvery) {
        Random r = new Random(seed);
        int latent = Math.max(2, in / 3);
        float[] mix = new float[latent * in];
        for (int i = 0; i < mix.length; i++) mix[i] = (float) r.nextGaussian();
        float[] scale = new float[in];
        for (int j = 0; j < in; j++) scale[j] = (float) Math.exp(r.nextGaussian());
        Matrix x = new Matrix(nSeq * seqLen, in);
        float[] d = x.data();
        float[] z = new float[latent];
        for (int t = 0; t < nSeq * seqLen; t++) {
            for (int l = 0; l < latent; l++) z[l] = (float) r.nextGaussian();
            for (int j = 0; j < in; j++) {
                if (deadEvery > 0 && j % deadEvery == deadEvery - 1) continue;
                double s = 0.3 * r.nextGaussian();
                for (int l = 0; l < latent; l++) s += z[l] * mix[l * in + j];
                d[t * in + j] = (float) (s * scale[j]);
            }
        }
        return x;
    }

    static InputStats stats(Matrix x, int nSeq, int seqLen, boolean gram) {
        InputStats s = new InputStats(x.cols(), gram);
        s.add(x, nSeq, seqLen);
        return s;
    }

    static int nonZerosInGroup(Matrix w, int r, int c0, int g) {
        int nz = 0;
        for (int c = c0; c < c0 + g; c++) if (w.get(r, c) != 0f) nz++;
        return nz;
    }
}
