package dev.mixprune.eval.zeroshot;

import dev.mixprune.data.PythonRandom;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class LimitAndTiesTest {
    private static List<Integer> shuffled(int n) {
        List<Integer> l = new ArrayList<>(IntStream.range(0, n).boxed().toList());
        new PythonRandom(42).shuffle(l);
        return l;
    }

    @Test
    void pythonRandom42ShuffleMatchesCPython() {
        // Values printed by CPython 3: r = random.Random(42); l = list(range(n)); r.shuffle(l)
        assertThat(shuffled(10)).containsExactly(7, 3, 2, 8, 5, 6, 9, 4, 0, 1);
        assertThat(shuffled(277).subList(0, 12)).containsExactly(189, 5, 269, 198, 192, 227, 121, 9, 6, 120, 89, 246);
        assertThat(shuffled(10042).subList(0, 8)).containsExactly(9792, 1027, 5366, 615, 5402, 477, 955, 6124);
    }

    @Test
    void pythonRandomRawStream() {
        // random.Random(42).getrandbits(32) three times
        PythonRandom r = new PythonRandom(42);
        assertThat(new long[]{r.getrandbits(32), r.getrandbits(32), r.getrandbits(32)})
                .containsExactly(2746317213L, 478163327L, 107420369L);
    }

    private static List<Doc> docs(int n) {
        List<Doc> l = new ArrayList<>();
        for (int i = 0; i < n; i++) l.add(new Doc(i, List.of(new Request("c", " a"), new Request("c", " b")), 0, List.of("a", "b")));
        return l;
    }

    @Test
    void limitTakesTheFirstNAfterTheHarnessShuffleOrInFileOrder() {
        List<Doc> all = docs(277);
        assertThat(DocSelection.HARNESS_SHUFFLE.select(all, 5)).extracting(Doc::index).containsExactly(189, 5, 269, 198, 192);
        assertThat(DocSelection.FILE_ORDER.select(all, 3)).extracting(Doc::index).containsExactly(0, 1, 2);
        assertThat(DocSelection.HARNESS_SHUFFLE.select(all, 0)).isSameAs(all);     // no limit: all docs, file order
        assertThat(DocSelection.HARNESS_SHUFFLE.select(all, 1000)).isSameAs(all);
    }

    @Test
    void tiesGoToTheFirstChoice() {
        assertThat(Metrics.argmax(new double[]{-3, -1, -1, -2})).isEqualTo(1);
        assertThat(Metrics.argmax(new double[]{-1, -1})).isEqualTo(0);
        // BoolQ choices are [no, yes]: equal log-likelihoods predict "no", as df3da98's ll_yes > ll_no does.
        assertThat(Metrics.predictAcc(new double[]{-2.5, -2.5})).isEqualTo(0);
    }

    @Test
    void accNormDividesByCodePointLengthWithoutTheLeadingSpace() {
        // ll -6 over "abc" (3 chars) = -2 beats -10 over "abcd" (4 chars) = -2.5; plain acc prefers -6 too.
        assertThat(Metrics.predictAccNorm(new double[]{-10, -6}, List.of("abcd", "abc"))).isEqualTo(1);
        // acc prefers choice 0 (-6 > -8) but per character choice 1 wins: -8/8 = -1 > -6/3 = -2.
        assertThat(Metrics.predictAccNorm(new double[]{-6, -8}, List.of("abc", "abcdefgh"))).isEqualTo(1);
        // "é😀" is 2 Python characters (not 3 UTF-16 units, not 6 bytes): -4/2 = -2 ties -2/1 = -2, first wins.
        assertThat(Metrics.predictAccNorm(new double[]{-4, -2}, List.of("é😀", "x"))).isEqualTo(0);
    }

    @Test
    void stderrAsTheHarness() {
        // numpy: std(ddof=1) / sqrt(n) of [1,1,0,0] = sqrt(1/3) / 2 = sqrt(0.25 / 3)
        assertThat(Metrics.stderr(2, 4)).isEqualTo(Math.sqrt(0.5 * 0.5 / 3));
    }
}
