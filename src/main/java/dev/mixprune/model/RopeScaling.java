package dev.mixprune.model;

import java.util.Arrays;

/**
 * How RoPE frequencies are stretched for long contexts. Every variant is a per-frequency divisor:
 * pair j of a head rotates by {@code pos * theta^(-2j/hs) / divisor(j)}, which is how both HF
 * (scaled inv_freq) and llama.cpp (the {@code rope_freqs} tensor, "freq factors") express it.
 */
public sealed interface RopeScaling {
    /** Plain RoPE. */
    RopeScaling NONE = new None();

    /** The divisor of each of the {@code headDim / 2} frequencies (all 1 for plain RoPE). */
    double[] divisors(int headDim, double theta);

    /** Short description for messages and inspect. */
    String describe();

    /** No scaling. */
    record None() implements RopeScaling {
        @Override public double[] divisors(int headDim, double theta) {
            double[] d = new double[headDim / 2];
            Arrays.fill(d, 1.0);
            return d;
        }

        @Override public String describe() { return "none"; }
    }

    /** HF {@code rope_scaling: {type: linear, factor}}: positions divided by factor (every frequency). */
    record Linear(double factor) implements RopeScaling {
        public Linear {
            if (!(factor >= 1.0) || Double.isInfinite(factor)) throw new IllegalArgumentException("linear rope_scaling factor must be >= 1, got " + factor);
        }

        @Override public double[] divisors(int headDim, double theta) {
            double[] d = new double[headDim / 2];
            Arrays.fill(d, factor);
            return d;
        }

        @Override public String describe() { return "linear (factor " + factor + ")"; }
    }

    /**
     * Llama 3.1's {@code rope_type: llama3}: wavelengths longer than
     * {@code original / lowFreqFactor} are divided by {@code factor}, shorter than
     * {@code original / highFreqFactor} kept, and the band between interpolated smoothly
     * (transformers' {@code _compute_llama3_parameters}, llama.cpp's converter's rope_freqs).
     */
    record Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) implements RopeScaling {
        public Llama3 {
            if (!(factor >= 1.0) || Double.isInfinite(factor)) throw new IllegalArgumentException("llama3 rope_scaling factor must be >= 1, got " + factor);
            if (!(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || Double.isInfinite(highFreqFactor)) {
                throw new IllegalArgumentException("llama3 rope_scaling needs 0 < low_freq_factor < high_freq_factor, got " + lowFreqFactor + ", " + highFreqFactor);
            }
            if (originalMaxPositions <= 0) throw new IllegalArgumentException("llama3 rope_scaling original_max_position_embeddings must be > 0, got " + originalMaxPositions);
        }

        @Override public double[] divisors(int headDim, double theta) {
            double lowWavelen = originalMaxPositions / lowFreqFactor, highWavelen = originalMaxPositions / highFreqFactor;
            double[] d = new double[headDim / 2];
            for (int j = 0; j < d.length; j++) {
                double invFreq = Math.pow(theta, -2.0 * j / headDim);
                double wavelen = 2 * Math.PI / invFreq;
                if (wavelen < highWavelen) d[j] = 1.0;
                else if (wavelen > lowWavelen) d[j] = factor;
                else {
                    double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    d[j] = 1.0 / ((1 - smooth) / factor + smooth);
                }
            }
            return d;
        }

        @Override public String describe() {
            return "llama3 (factor " + factor + ", low_freq_factor " + lowFreqFactor + ", high_freq_factor " + highFreqFactor
                    + ", original_max_position_embeddings " + originalMaxPositions + ")";
        }
    }

    /**
     * Explicit divisors per frequency, as a GGUF's {@code rope_freqs.weight} tensor stores them
     * (llama.cpp's converter writes Llama 3.1's scaling that way; the parameters are not kept).
     */
    record Factors(float[] factors) implements RopeScaling {
        public Factors {
            factors = factors.clone();
            for (float f : factors) if (!(f > 0) || Float.isInfinite(f)) throw new IllegalArgumentException("rope frequency factors must be finite and > 0, got " + f);
        }

        @Override public float[] factors() { return factors.clone(); }

        @Override public double[] divisors(int headDim, double theta) {
            if (factors.length != headDim / 2) throw new IllegalArgumentException(factors.length + " rope frequency factors for head size " + headDim + " (expected " + headDim / 2 + ")");
            double[] d = new double[factors.length];
            for (int j = 0; j < d.length; j++) d[j] = factors[j];
            return d;
        }

        @Override public String describe() { return "frequency factors (" + factors.length + ")"; }

        @Override public boolean equals(Object o) { return o instanceof Factors f && Arrays.equals(factors, f.factors); }

        @Override public int hashCode() { return Arrays.hashCode(factors); }

        @Override public String toString() { return "Factors" + Arrays.toString(factors); }
    }
}
