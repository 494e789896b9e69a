package dev.mixprune.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class SamplerTest {
    @Test
    void greedyTakesTheFirstMaximum() {
        assertThat(Sampler.greedy().sample(new float[]{1, 3, 3, 2}, 4)).isEqualTo(1);
        assertThat(Sampler.greedy().sample(new float[]{-5, -4, -9}, 3)).isEqualTo(1);
        // n limits the considered prefix
        assertThat(Sampler.greedy().sample(new float[]{1, 0, 9}, 2)).isZero();
    }

    @Test
    void nucleusKeepsTheSmallestSetAboveTopPAndRenormalises() {
        float[] p = {0.15f, 0.5f, 0.05f, 0.3f};
        // sorted: 1 (0.5), 3 (0.3) -> cumulative 0.8 > 0.7, so only {1, 3}, renormalised by 0.8
        assertThat(Sampler.nucleus(p, 0.7f, 0.0f)).isEqualTo(1);
        assertThat(Sampler.nucleus(p, 0.7f, 0.62f)).isEqualTo(1);   // 0.62*0.8 = 0.496 < 0.5
        assertThat(Sampler.nucleus(p, 0.7f, 0.63f)).isEqualTo(3);   // 0.504 >= 0.5
        assertThat(Sampler.nucleus(p, 0.7f, 0.9999f)).isEqualTo(3);
        // a tiny top-p keeps only the most probable token
        assertThat(Sampler.nucleus(p, 0.01f, 0.99f)).isEqualTo(1);
    }

    @Test
    void samplingFrequenciesFollowTheSoftmax() {
        float[] logits = {(float) Math.log(0.1), (float) Math.log(0.2), (float) Math.log(0.7)};
        Sampler s = new Sampler(1f, 1f, 123);
        int[] counts = new int[3];
        int n = 20000;
        for (int i = 0; i < n; i++) counts[s.sample(logits, 3)]++;
        assertThat(counts[0] / (double) n).isCloseTo(0.1, offset(0.015));
        assertThat(counts[1] / (double) n).isCloseTo(0.2, offset(0.015));
        assertThat(counts[2] / (double) n).isCloseTo(0.7, offset(0.015));
        // top-p 0.75 drops token 0 (0.7 + 0.2 covers it): frequencies 2/9 and 7/9
        Sampler t = new Sampler(1f, 0.75f, 9);
        int[] c2 = new int[3];
        for (int i = 0; i < n; i++) c2[t.sample(logits, 3)]++;
        assertThat(c2[0]).isZero();
        assertThat(c2[2] / (double) n).isCloseTo(7 / 9.0, offset(0.015));
    }

    @Test
    void randomStreamIsUniformAndSeedDependent() {
        Sampler a = new Sampler(1f, 1f, 0), b = new Sampler(1f, 1f, 0), c = new Sampler(1f, 1f, 1);
        double sum = 0;
        boolean differs = false;
        for (int i = 0; i < 10000; i++) {
            float x = a.nextFloat();
            assertThat(x).isBetween(0f, 0.99999994f);
            assertThat(b.nextFloat()).isEqualTo(x);
            differs |= c.nextFloat() != x;
            sum += x;
        }
        assertThat(differs).isTrue();
        assertThat(sum / 10000).isCloseTo(0.5, offset(0.02));
    }
}
