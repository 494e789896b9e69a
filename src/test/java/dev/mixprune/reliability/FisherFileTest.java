package dev.mixprune.reliability;

import dev.mixprune.BadInputException;
import dev.mixprune.SharedFiles;
import dev.mixprune.allocate.FisherReport;
import dev.mixprune.allocate.FisherTraces;
import dev.mixprune.cli.Main;
import dev.mixprune.io.Llama2cBin;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.SparsityPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 13 F9: {@code search --fisher} accepted a Fisher file that contradicts the model (wrong
 * numel, all zeros, 1e308). It is now validated against the model: names, numel, finite and
 * non-negative values that carry information.
 */
class FisherFileTest {
    @TempDir Path dir;

    static String fisherJson(LlamaConfig c, Function<LayerId, String> trace, Function<LayerId, Long> numel) {
        StringBuilder sb = new StringBuilder("{\"format\": \"mixprune.fisher\", \"version\": 1, \"model\": {\"dim\": " + c.dim()
                + ", \"hidden_dim\": " + c.hiddenDim() + ", \"n_layers\": " + c.nLayers() + ", \"n_heads\": " + c.nHeads() + ", \"n_kv_heads\": "
                + c.nKvHeads() + ", \"vocab_size\": " + c.vocabSize() + "}, \"windows\": 4, \"seqlen\": 32, \"layers\": {");
        String sep = "";
        for (LayerId id : LayerId.all(c)) {
            sb.append(sep).append('"').append(id.name()).append("\": {\"trace\": ").append(trace.apply(id)).append(", \"numel\": ").append(numel.apply(id)).append('}');
            sep = ", ";
        }
        return sb.append("}}").toString();
    }

    static long numel(LlamaConfig c, LayerId id) {
        SparsityPlan.ModelShape s = SparsityPlan.ModelShape.of(c);
        return (long) s.rows(id.kind()) * s.cols(id.kind());
    }

    @Test
    void aFisherFileIsCheckedAgainstTheModel() throws IOException {
        LlamaConfig c = Llama2cBin.readConfig(SharedFiles.require(SharedFiles.stories260KBin()));
        Path ok = Files.writeString(dir.resolve("ok.json"), fisherJson(c, id -> "1.5e-3", id -> numel(c, id)));
        assertThat(FisherTraces.read(ok, c)).hasSize(LayerId.all(c).size());
        assertThat(FisherReport.load(ok, c).traces()).hasSize(LayerId.all(c).size());

        Path wrongNumel = Files.writeString(dir.resolve("numel.json"), fisherJson(c, id -> "1.5e-3", id -> numel(c, id) + (id.block() == 2 ? 1 : 0)));
        assertThatThrownBy(() -> FisherTraces.read(wrongNumel, c)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("numel.json").hasMessageContaining("blk.2.wq").hasMessageContaining("numel");
        Path zeros = Files.writeString(dir.resolve("zeros.json"), fisherJson(c, id -> "0", id -> numel(c, id)));
        assertThatThrownBy(() -> FisherTraces.read(zeros, c)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("zeros.json").hasMessageContaining("every Fisher trace is 0");
        assertThatThrownBy(() -> FisherReport.load(zeros, c)).isInstanceOf(BadInputException.class).hasMessageContaining("every Fisher trace is 0");
        Path huge = Files.writeString(dir.resolve("huge.json"), fisherJson(c, id -> "1e308", id -> numel(c, id)));
        assertThatThrownBy(() -> FisherTraces.read(huge, c)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("huge.json").hasMessageContaining("overflow");
        assertThatThrownBy(() -> FisherReport.load(huge, c)).isInstanceOf(BadInputException.class).hasMessageContaining("overflow");
        assertThatThrownBy(() -> FisherReport.load(wrongNumel, c)).isInstanceOf(BadInputException.class).hasMessageContaining("numel");
        Path negative = Files.writeString(dir.resolve("negative.json"), fisherJson(c, id -> id.block() == 1 ? "-1" : "1", id -> numel(c, id)));
        assertThatThrownBy(() -> FisherTraces.read(negative, c)).isInstanceOf(BadInputException.class).hasMessageContaining(">= 0");
        Path missing = Files.writeString(dir.resolve("missing.json"), fisherJson(c, id -> "1", id -> numel(c, id)).replace("\"blk.4.w3\"", "\"blk.4.wx\""));
        assertThatThrownBy(() -> FisherTraces.read(missing, c)).isInstanceOf(BadInputException.class).hasMessageContaining("blk.4.w3");
    }

    @Test
    void searchRefusesAContradictingFisherFileWithExit3BeforeAnyWork() throws IOException {
        Path model = SharedFiles.require(SharedFiles.stories260KBin());
        LlamaConfig c = Llama2cBin.readConfig(model);
        Path zeros = Files.writeString(dir.resolve("zeros.json"), fisherJson(c, id -> "0", id -> numel(c, id)));
        Path out = dir.resolve("plan.json");
        List<String> args = List.of("search", "-q", "--model", model.toString(), "--fisher", zeros.toString(), "--sparsity", "0.5",
                "--out", out.toString());
        Cli.Run r = Cli.run(args.toArray(String[]::new));
        assertThat(r.exit()).as("%s", r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("zeros.json").doesNotContain("Exception");
        assertThat(out).doesNotExist();
    }
}
