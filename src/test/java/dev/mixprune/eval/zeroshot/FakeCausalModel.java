package dev.mixprune.eval.zeroshot;

import dev.mixprune.tensor.Matrix;

import java.util.ArrayList;
import java.util.List;

/**
 * A tiny deterministic causal "model": the logits at position t are a pseudo-random function of
 * tokens[0..t] only (a rolling hash), so prefixes get identical logits as in a real causal LM.
 * Records every batch it was given.
 */
public final class FakeCausalModel implements SequenceScorer {
    private final int vocab;
    private final int maxLength;
    final List<List<int[]>> calls = new ArrayList<>();

    public FakeCausalModel(int vocab, int maxLength) {
        this.vocab = vocab;
        this.maxLength = maxLength;
    }

    @Override public int maxLength() { return maxLength; }
    @Override public int vocabSize() { return vocab; }

    @Override public List<Matrix> logitsBatch(List<int[]> sequences) {
        calls.add(sequences);
        List<Matrix> out = new ArrayList<>();
        for (int[] s : sequences) {
            if (s.length == 0 || s.length > maxLength) throw new IllegalArgumentException("bad sequence length " + s.length);
            Matrix m = new Matrix(s.length, vocab);
            long h = 1469598103934665603L;
            for (int t = 0; t < s.length; t++) {
                h = (h ^ s[t]) * 1099511628211L;
                for (int j = 0; j < vocab; j++) {
                    long x = (h + j * 0x9E3779B97F4A7C15L);
                    x ^= x >>> 31; x *= 0xBF58476D1CE4E5B9L; x ^= x >>> 29;
                    m.set(t, j, (float) ((x >>> 40) / (double) (1L << 24) * 8.0 - 4.0));
                }
            }
            out.add(m);
        }
        return out;
    }
}
