package dev.mixprune.allocate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.Tokenizer;
import dev.mixprune.io.TokenizerBin;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;

/** The interim window selection against the independent fixtures (protocols.md C and P). */
class FisherCalibrationTest {
    static JsonNode fixture(String name) throws Exception {
        return new ObjectMapper().readTree(Files.readAllBytes(SharedFiles.fixtures().resolve(name)));
    }

    @Test
    void mersenneTwisterMatchesCPython() throws Exception {
        JsonNode cal = fixture("calibration.json");
        JsonNode bySeed = cal.get("genrand_uint32_first8_by_seed");
        for (var it = bySeed.fieldNames(); it.hasNext(); ) {
            String seed = it.next();
            FisherCalibration.PyRandom r = new FisherCalibration.PyRandom(Long.parseLong(seed));
            for (JsonNode v : bySeed.get(seed)) assertThat(r.genrandUint32()).as("seed %s", seed).isEqualTo(v.asLong());
        }
        FisherCalibration.PyRandom r = new FisherCalibration.PyRandom(0);
        for (JsonNode v : cal.get("randint_0_999_seed0_first10")) assertThat(r.randint(0, 999)).isEqualTo(v.asInt());
    }

    @Test
    void calibStreamAndWindowOffsetsMatchFixtures() throws Exception {
        Tokenizer tok = new Tokenizer(TokenizerBin.read(SharedFiles.tok512(), 512));
        int[] stream = FisherCalibration.tokenStream(SharedFiles.tinyStoriesCalib(), tok);
        JsonNode s = fixture("streams.json").get("streams").get("calib");
        assertThat(stream.length).isEqualTo(s.get("tokens").asInt());
        assertThat(FisherCalibration.sha256Of(stream)).isEqualTo(s.get("sha256_int32le").asText());

        JsonNode cal = fixture("calibration.json");
        int n = cal.get("offsets").size();
        FisherCalibration.Windows w = FisherCalibration.windows(stream, n, cal.get("seqlen").asInt(), cal.get("seed").asLong(), "calib");
        for (int i = 0; i < n; i++) assertThat(w.offsets()[i]).as("offset %d", i).isEqualTo(cal.get("offsets").get(i).asInt());
        assertThat(w.windows()[3]).startsWith(stream[w.offsets()[3]]).hasSize(512);
    }
}
