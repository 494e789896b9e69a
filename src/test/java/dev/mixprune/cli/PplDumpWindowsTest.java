package dev.mixprune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.data.Corpus;
import dev.mixprune.data.TokenStream;
import dev.mixprune.eval.Perplexity;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** {@code ppl --dump-windows}: the file holds exactly the windows that were scored (for the llama.cpp cross-check). */
class PplDumpWindowsTest {

    @Test
    void dumpedWindowsAreTheScoredOnesAndLimitKeepsTheFirst(@TempDir Path dir) throws Exception {
        String valid = Files.readString(SharedFiles.tinyStoriesValid());
        Path text = dir.resolve("small.txt");
        Files.writeString(text, valid.substring(0, 12000));
        Path dump = dir.resolve("w.json");
        String model = SharedFiles.stories260KBin().toString();
        var r = ForwardCommandsTest.run(PplCommand::new, "--model", model, "--text", text.toString(), "--seqlen", "100",
                "--limit", "3", "--dump-windows", dump.toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode out = new ObjectMapper().readTree(r.text());
        JsonNode spec = new ObjectMapper().readTree(dump.toFile());
        assertThat(spec.get("seqlen").asInt()).isEqualTo(100);
        assertThat(spec.get("windows").size()).isEqualTo(3).isEqualTo(out.get("windows").asInt());

        LoadedModel m = ModelLoader.load(SharedFiles.stories260KBin(), null);
        int[] ids = TokenStream.of(Corpus.read(text), m.requireTokenizer()).toArray();
        assertThat(ids.length).as("the excerpt must hold more than 3 windows for --limit to matter").isGreaterThan(400);
        int[] scored = new int[300];
        for (int i = 0; i < 3; i++) {
            JsonNode w = spec.get("windows").get(i);
            assertThat(w.size()).isEqualTo(100);
            for (int t = 0; t < 100; t++) {
                assertThat(w.get(t).asInt()).as("window %d position %d", i, t).isEqualTo(ids[i * 100 + t]);
                scored[i * 100 + t] = w.get(t).asInt();
            }
        }
        // Float GEMM blocking may differ between runs at the 1e-7 level; a different window would differ by far more.
        double expected = Perplexity.compute(m.weights(), scored, 100).ppl();
        assertThat(out.get("ppl").asDouble()).isCloseTo(expected, offset(1e-6 * expected));
    }

    @Test
    void nonPositiveLimitIsRejectedAndNothingIsWritten(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("small.txt");
        Files.writeString(text, Files.readString(SharedFiles.tinyStoriesValid()).substring(0, 3000));
        Path dump = dir.resolve("w.json");
        var r = ForwardCommandsTest.run(PplCommand::new, "--model", SharedFiles.stories260KBin().toString(), "--text", text.toString(),
                "--seqlen", "64", "--limit", "0", "--dump-windows", dump.toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("--limit");
        assertThat(dump).doesNotExist();
    }
}
