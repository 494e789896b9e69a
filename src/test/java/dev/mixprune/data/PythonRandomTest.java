package dev.mixprune.data;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Against fixtures/stories260K/calibration.json, plus values printed by CPython 3.11.7
 * ({@code random.Random(seed)}) for the parts the fixture does not cover.
 */
class PythonRandomTest {
    @Test
    void firstOutputsMatchCPythonForSeveralSeeds() throws Exception {
        JsonNode bySeed = Fixtures.json("calibration.json").get("genrand_uint32_first8_by_seed");
        int seeds = 0;
        for (Map.Entry<String, JsonNode> e : bySeed.properties()) {
            PythonRandom r = new PythonRandom(new BigInteger(e.getKey()));
            long[] got = new long[e.getValue().size()];
            for (int i = 0; i < got.length; i++) got[i] = r.nextUInt32();
            assertThat(got).as("seed %s", e.getKey()).containsExactly(Fixtures.longs(e.getValue()));
            seeds++;
        }
        assertThat(seeds).isGreaterThanOrEqualTo(4); // includes 4294967301, a two-word key
    }

    @Test
    void randintMatchesCPython() throws Exception {
        JsonNode expected = Fixtures.json("calibration.json").get("randint_0_999_seed0_first10");
        PythonRandom r = new PythonRandom(0);
        long[] got = new long[expected.size()];
        for (int i = 0; i < got.length; i++) got[i] = r.randint(0, 999);
        assertThat(got).containsExactly(Fixtures.longs(expected));
    }

    // Expected values below: python3.11 -c 'import random; r = random.Random(SEED); ...'
    @Test
    void largeAndNegativeSeedsUseTheAbsoluteValueInWords() {
        PythonRandom big = new PythonRandom(new BigInteger("12345678901234567890"));
        assertThat(new long[]{big.getrandbits(32), big.getrandbits(32), big.getrandbits(32)}).containsExactly(2199100970L, 3695432519L, 4002396509L);
        PythonRandom neg = new PythonRandom(-5);
        assertThat(new long[]{neg.getrandbits(32), neg.getrandbits(32), neg.getrandbits(32)}).containsExactly(2675342405L, 1097127993L, 3185950873L);
    }

    @Test
    void getrandbitsAboveAndBelow32Bits() {
        PythonRandom r = new PythonRandom(3);
        assertThat(Long.toUnsignedString(r.getrandbits(64))).isEqualTo("10932295209482665981");
        assertThat(r.getrandbits(40)).isEqualTo(144071367498L);
        assertThat(r.getrandbits(7)).isEqualTo(47L);
        assertThat(r.getrandbits(0)).isZero();
        assertThatThrownBy(() -> r.getrandbits(65)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void randomIsThe53BitFloat() {
        PythonRandom r = new PythonRandom(3);
        assertThat(new double[]{r.random(), r.random(), r.random()}).containsExactly(
                Double.parseDouble("0x1.e759ff97b7508p-3"), Double.parseDouble("0x1.16a5368858d8dp-1"), Double.parseDouble("0x1.7ad586f53dadep-2"));
    }

    @Test
    void shuffleMatchesCPython() {
        int[] x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        new PythonRandom(42).shuffle(x);
        assertThat(x).containsExactly(7, 3, 2, 8, 5, 6, 9, 4, 0, 1);
        List<Integer> list = new ArrayList<>(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
        new PythonRandom(42).shuffle(list);
        assertThat(list).containsExactly(7, 3, 2, 8, 5, 6, 9, 4, 0, 1);
    }

    @Test
    void randintWideAndNegativeRanges() {
        PythonRandom r = new PythonRandom(9);
        assertThat(new long[]{r.randint(0, 1L << 40), r.randint(0, 1L << 40), r.randint(0, 1L << 40)})
                .containsExactly(585718914800L, 408616915370L, 743056980560L);
        long[] small = new long[5];
        for (int i = 0; i < 5; i++) small[i] = r.randint(-5, 5);
        assertThat(small).containsExactly(3, 2, 4, -4, 0);
        // randrange(1 << 16): a power of two still draws bitLength(n) = 17 bits and rejects
        assertThat(new long[]{r.randbelow(1 << 16), r.randbelow(1 << 16), r.randbelow(1 << 16)}).containsExactly(5360, 49678, 22205);
        assertThatThrownBy(() -> r.randint(3, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> r.randbelow(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void reseedingRestartsTheSequence() {
        PythonRandom r = new PythonRandom(7);
        long a = r.nextUInt32();
        for (int i = 0; i < 1000; i++) r.nextUInt32(); // crosses a twist
        r.seed(7);
        assertThat(r.nextUInt32()).isEqualTo(a);
    }
}
