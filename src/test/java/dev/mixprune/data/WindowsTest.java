package dev.mixprune.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixprune.BadInputException;
import dev.mixprune.SharedFiles;
import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Protocol C calibration windows and protocol P evaluation windows. */
class WindowsTest {
    private static TokenStream counting(int n) {
        return TokenStream.ofIds(IntStream.range(0, n).toArray(), 1);
    }

    @Test
    void calibrationOffsetsMatchFixture() throws Exception {
        JsonNode f = Fixtures.json("calibration.json");
        TokenStream calib = TokenStream.of(Corpus.read(SharedFiles.tinyStoriesCalib()), Fixtures.tok512());
        assertThat(calib.length()).isEqualTo(f.get("calib_stream_tokens").asInt());
        CalibrationWindows w = CalibrationWindows.sample(calib, f.get("nsamples").asInt(), f.get("seqlen").asInt(), f.get("seed").asLong());
        assertThat(w.offsets()).containsExactly(Fixtures.ints(f.get("offsets")));
        assertThat(w.nsamples()).isEqualTo(128);
        for (int i = 0; i < w.nsamples(); i++) {
            assertThat(w.window(i)).hasSize(512).containsExactly(calib.slice(w.offset(i), 512));
        }
    }

    @Test
    void calibrationIsDeterministicAndSeedDependent() {
        TokenStream s = counting(5000);
        CalibrationWindows a = CalibrationWindows.sample(s, 16, 100, 3);
        assertThat(CalibrationWindows.sample(s, 16, 100, 3)).isEqualTo(a);
        assertThat(CalibrationWindows.sample(s, 16, 100, 4).offsets()).isNotEqualTo(a.offsets());
        // windows are ids[s : s + seqlen]; on a counting stream the ids are the positions
        for (int i = 0; i < 16; i++) assertThat(a.window(i)[0]).isEqualTo(a.offset(i));
        // the record is immutable: mutating what the accessors return changes nothing
        a.offsets()[0] = -1;
        a.windows()[0][0] = -1;
        assertThat(a.offset(0)).isNotEqualTo(-1);
        assertThat(a.window(0)[0]).isEqualTo(a.offset(0));
    }

    @Test
    void calibrationUsesTheWholeRangeIncludingBothEnds() {
        // N = seqlen + 1: randint(0, 0) is the only draw; N = seqlen + 2: offsets 0 and 1 both occur
        assertThat(CalibrationWindows.sample(counting(11), 5, 10, 0).offsets()).containsOnly(0);
        assertThat(CalibrationWindows.sample(counting(12), 64, 10, 0).offsets()).contains(0, 1).containsOnly(0, 1);
    }

    @Test
    void calibrationRejectsShortStreamsAndBadCounts() {
        assertThatThrownBy(() -> CalibrationWindows.sample(counting(10), 4, 10, 0)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("10 tokens").hasMessageContaining("seqlen + 1 = 11");
        assertThatThrownBy(() -> CalibrationWindows.sample(counting(100), 0, 10, 0)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("nsamples");
        assertThatThrownBy(() -> CalibrationWindows.sample(counting(100), -3, 10, 0)).isInstanceOf(BadInputException.class);
        assertThatThrownBy(() -> CalibrationWindows.sample(counting(100), 2, 0, 0)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("seqlen");
    }

    @Test
    void evalWindowsAreNonOverlappingWithTheTailDropped() {
        EvalWindows w = EvalWindows.of(counting(1034), 100);
        assertThat(w.count()).isEqualTo(10);
        assertThat(w.tokensUsed()).isEqualTo(1000);
        assertThat(w.tokensScored()).isEqualTo(990);
        assertThat(w.tailDropped()).isEqualTo(34);
        for (int i = 0; i < w.count(); i++) {
            assertThat(w.offset(i)).isEqualTo(100L * i);
            assertThat(w.window(i)).containsExactly(IntStream.range(100 * i, 100 * i + 100).toArray());
        }
        assertThatThrownBy(() -> w.window(10)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(EvalWindows.of(counting(200), 100).tailDropped()).isZero();
    }

    @Test
    void evalWindowCountsOnSharedCorporaMatchTheDocumentedFigures() throws Exception {
        var tok = Fixtures.tok512();
        EvalWindows valid = EvalWindows.of(TokenStream.of(Corpus.read(SharedFiles.tinyStoriesValid()), tok), 512);
        assertThat(valid.count()).isEqualTo(376);
        assertThat(valid.tokensScored()).isEqualTo(192_136); // fixtures/README.md
        EvalWindows wiki = EvalWindows.of(TokenStream.of(Corpus.read(SharedFiles.wikiTest()), tok), 512);
        assertThat(wiki.count()).isEqualTo(1580);
    }

    @Test
    void evalRejectsTooShortTextAndTinySeqlen() {
        assertThatThrownBy(() -> EvalWindows.of(counting(99), 100)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("99 tokens").hasMessageContaining("seqlen = 100");
        assertThatThrownBy(() -> EvalWindows.of(counting(99), 1)).isInstanceOf(BadInputException.class).hasMessageContaining("seqlen");
    }
}
