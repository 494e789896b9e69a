package dev.mixprune.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JIT-independent lane sum and exp (issue 13 F10). Each check runs long enough for C2 to
 * compile the code under test, and compares every call with a scalar twin: with
 * {@code reduceLanes(ADD)} or {@code lanewise(EXP)} the compiled calls differ from the first ones.
 */
class LaneMathTest {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    @Test
    void laneSumHasTheTreeOrderInterpretedAndCompiled() {
        int lanes = F.length(), vectors = 500;
        Random r = new Random(7);
        float[] data = new float[vectors * lanes];
        for (int i = 0; i < data.length; i++) data[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7)));
        float[] want = new float[vectors];
        for (int v = 0; v < vectors; v++) want[v] = LaneMath.sumInTreeOrder(java.util.Arrays.copyOfRange(data, v * lanes, (v + 1) * lanes));
        long mismatches = 0;
        for (int round = 0; round < 400; round++) {
            for (int v = 0; v < vectors; v++) {
                if (Float.floatToRawIntBits(LaneMath.sum(FloatVector.fromArray(F, data, v * lanes))) != Float.floatToRawIntBits(want[v])) mismatches++;
            }
        }
        assertThat(mismatches).isZero();
    }

    @Test
    void doubleLaneSumIsStableAcrossCompilation() {
        int lanes = D.length(), vectors = 500;
        Random r = new Random(8);
        double[] data = new double[vectors * lanes];
        for (int i = 0; i < data.length; i++) data[i] = r.nextGaussian() * Math.pow(10, r.nextInt(12));
        double[] first = new double[vectors];
        for (int v = 0; v < vectors; v++) first[v] = LaneMath.sum(DoubleVector.fromArray(D, data, v * lanes));
        long mismatches = 0;
        for (int round = 0; round < 400; round++) {
            for (int v = 0; v < vectors; v++) if (LaneMath.sum(DoubleVector.fromArray(D, data, v * lanes)) != first[v]) mismatches++;
        }
        assertThat(mismatches).isZero();
    }

    @Test
    void expIsWithinTwoUlpOfMathExpAndStableAcrossCompilation() {
        int lanes = F.length(), n = 64 * lanes;
        Random r = new Random(9);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 180 - 90);
        // Edges: overflow/underflow limits, zero, and the rounding boundary at n = 128.
        float[] edges = {0f, -0f, 1f, -1f, 88.72f, 88.7228f, 88.73f, 100f, -87.33f, -87.34f, -100f, 0.34657359f, -0.34657359f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1e-8f, -1e-8f};
        System.arraycopy(edges, 0, x, 0, edges.length);
        float[] first = new float[n], out = new float[n];
        for (int i = 0; i < n; i += lanes) LaneMath.exp(FloatVector.fromArray(F, x, i)).intoArray(first, i);
        for (int i = 0; i < n; i++) {
            float want = (float) Math.exp(x[i]);
            if (Float.isNaN(x[i])) {
                assertThat(first[i]).isNaN();
            } else if (x[i] < -87.33654f) {
                assertThat(first[i]).as("exp(%s)", x[i]).isEqualTo(0f);   // subnormal results flush to zero
            } else if (Float.isInfinite(want)) {
                assertThat(first[i]).as("exp(%s)", x[i]).isEqualTo(Float.POSITIVE_INFINITY);
            } else {
                assertThat(Math.abs(first[i] - want)).as("exp(%s) = %s, Math.exp %s", x[i], first[i], want).isLessThanOrEqualTo(2 * Math.ulp(want));
            }
        }
        long mismatches = 0;
        for (int round = 0; round < 3000; round++) {
            for (int i = 0; i < n; i += lanes) LaneMath.exp(FloatVector.fromArray(F, x, i)).intoArray(out, i);
            for (int i = 0; i < n; i++) if (Float.floatToRawIntBits(out[i]) != Float.floatToRawIntBits(first[i])) mismatches++;
        }
        assertThat(mismatches).isZero();
    }
}
