package dev.mixprune.allocate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.backward.TestModels;
import dev.mixprune.prune.SparsityPlan.ModelShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FisherReportTest {
    @TempDir Path dir;

    static FisherReport sample(LlamaConfig c) {
        Map<LayerId, Double> t = new TreeMap<>(), se = new TreeMap<>();
        int i = 1;
        for (LayerId id : LayerId.all(c)) {
            t.put(id, 0.001 * i + 1.0 / 3);
            se.put(id, 0.0001 * i++);
        }
        return new FisherReport(ModelShape.of(c), 32, 512, 1.94, "ab".repeat(32), "calib.txt seed 0", t, se);
    }

    @Test
    void jsonRoundTripKeepsEverything() throws Exception {
        LlamaConfig c = TestModels.sharedGqa();
        FisherReport r = sample(c);
        Path f = dir.resolve("sub/fisher.json");
        r.save(f);
        FisherReport back = FisherReport.load(f, c);
        assertThat(back).isEqualTo(r);
        var json = new ObjectMapper().readTree(Files.readAllBytes(f));
        assertThat(json.get("format").asText()).isEqualTo("mixprune.fisher");
        assertThat(json.get("version").asInt()).isEqualTo(1);
        assertThat(json.get("layers").get("blk.1.w2").get("numel").asLong()).isEqualTo(c.weightsOf(dev.mixprune.model.LayerKind.W2));
        assertThat(json.get("blocks").size()).isEqualTo(c.nLayers());
        assertThat(json.get("blocks").get(1).asDouble()).isEqualTo(r.blockSums()[1]);
        try (var s = Files.list(f.getParent())) {
            assertThat(s).as("no temp file left behind").hasSize(1);
        }
    }

    @Test
    void rejectsAFileFromAnotherModelShape() throws Exception {
        Path f = dir.resolve("fisher.json");
        sample(TestModels.sharedGqa()).save(f);
        LlamaConfig other = TestModels.unsharedGqa();
        assertThatThrownBy(() -> FisherReport.load(f, other))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("Fisher traces are for model")
                .hasMessageContaining("dim=18").hasMessageContaining("dim=16");
    }

    @Test
    void rejectsMalformedFilesNamingTheField() throws Exception {
        LlamaConfig c = TestModels.sharedGqa();
        ObjectNode good = sample(c).toJson();
        expectBad(good.deepCopy().put("format", "mixprune.sparsity-plan"), "'format'");
        expectBad(good.deepCopy().put("version", 2), "'version'");
        expectBad(good.deepCopy().put("windows", 0), "'windows'");
        ObjectNode noLayer = good.deepCopy();
        ((ObjectNode) noLayer.get("layers")).remove("blk.1.w3");
        expectBad(noLayer, "layers.blk.1.w3 is missing");
        ObjectNode negative = good.deepCopy();
        ((ObjectNode) negative.get("layers").get("blk.0.wq")).put("trace", -1.0);
        expectBad(negative, "layers.blk.0.wq.trace");
        ObjectNode badSe = good.deepCopy();
        ((ObjectNode) badSe.get("layers").get("blk.0.wv")).put("stderr", "x");
        expectBad(badSe, "layers.blk.0.wv.stderr");
        ObjectNode noSe = good.deepCopy();
        ((ObjectNode) noSe.get("layers").get("blk.0.wv")).remove("stderr");
        assertThat(FisherReport.fromJson(noSe, "f.json").stdError(new LayerId(0, dev.mixprune.model.LayerKind.WV))).isNaN();
        ObjectNode badNumel = good.deepCopy();
        ((ObjectNode) badNumel.get("layers").get("blk.0.wk")).put("numel", 7);
        expectBad(badNumel, "layers.blk.0.wk.numel");
        ObjectNode extraBlock = good.deepCopy();
        ((ObjectNode) extraBlock.get("layers")).putObject("blk.9.wq").put("trace", 1.0);
        expectBad(extraBlock, "layers.blk.9.wq");
        Path f = dir.resolve("broken.json");
        Files.writeString(f, "{ \"format\": ");
        assertThatThrownBy(() -> FisherReport.load(f)).isInstanceOf(BadInputException.class).hasMessageContaining("not valid JSON");
    }

    private void expectBad(ObjectNode json, String fragment) {
        assertThatThrownBy(() -> FisherReport.fromJson(json, "f.json"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("f.json").hasMessageContaining(fragment);
    }
}
