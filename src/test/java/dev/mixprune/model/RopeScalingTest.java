package dev.mixprune.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * RoPE scaling as divisors of the frequencies: Llama 3.1's published parameters (factor 8,
 * low_freq_factor 1, high_freq_factor 4, original context 8192, theta 500000, head size 128) give
 * the bands transformers' _compute_llama3_parameters defines: wavelengths under 8192/4 = 2048 are
 * kept, over 8192 divided by 8, and between interpolated as 1 / ((1 - s) / 8 + s) with
 * s = (8192 / wavelength - 1) / (4 - 1), which is continuous at both ends.
 */
class RopeScalingTest {
    @Test
    void llama3BandsOfLlama31() {
        double theta = 500000, hs = 128;
        double[] d = new RopeScaling.Llama3(8, 1, 4, 8192).divisors(128, theta);
        assertThat(d).hasSize(64);
        int kept = 0, divided = 0, smooth = 0;
        for (int j = 0; j < 64; j++) {
            double wavelength = 2 * Math.PI * Math.pow(theta, 2.0 * j / hs);
            if (wavelength < 2048) {
                assertThat(d[j]).isEqualTo(1.0);
                kept++;
            } else if (wavelength > 8192) {
                assertThat(d[j]).isEqualTo(8.0);
                divided++;
            } else {
                double s = (8192 / wavelength - 1) / 3;
                assertThat(d[j]).isCloseTo(1 / ((1 - s) / 8 + s), within(1e-12)).isBetween(1.0, 8.0);
                smooth++;
            }
            if (j > 0) assertThat(d[j]).as("divisors grow with the wavelength").isGreaterThanOrEqualTo(d[j - 1]);
        }
        // Llama 3.1 8B: 29 frequencies kept, 6 interpolated, 29 divided (wavelength 2*pi*500000^(j/64)).
        assertThat(kept).isEqualTo(29);
        assertThat(smooth).isEqualTo(6);
        assertThat(divided).isEqualTo(29);
    }

    @Test
    void linearDividesEveryFrequencyAndNoneNothing() {
        assertThat(new RopeScaling.Linear(4).divisors(8, 10000)).containsExactly(4, 4, 4, 4);
        assertThat(RopeScaling.NONE.divisors(6, 10000)).containsExactly(1, 1, 1);
        assertThat(new RopeScaling.Factors(new float[]{1, 2.5f}).divisors(4, 1e4)).containsExactly(1, 2.5);
    }

    @Test
    void badParametersAreRefused() {
        assertThatThrownBy(() -> new RopeScaling.Linear(0.5)).hasMessageContaining("factor must be >= 1");
        assertThatThrownBy(() -> new RopeScaling.Llama3(8, 4, 1, 8192)).hasMessageContaining("low_freq_factor < high_freq_factor");
        assertThatThrownBy(() -> new RopeScaling.Factors(new float[]{1, 0})).hasMessageContaining("> 0");
        assertThatThrownBy(() -> new RopeScaling.Factors(new float[]{1, 2}).divisors(8, 1e4)).hasMessageContaining("head size 8");
    }

    @Test
    void factorsCompareByValue() {
        assertThat(new RopeScaling.Factors(new float[]{1, 2})).isEqualTo(new RopeScaling.Factors(new float[]{1, 2}))
                .hasSameHashCodeAs(new RopeScaling.Factors(new float[]{1, 2})).isNotEqualTo(new RopeScaling.Factors(new float[]{1, 3}));
    }
}
