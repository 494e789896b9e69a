package dev.mixprune.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.ModelLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A pruned HF model directory carries its provenance inside (mixprune_manifest.json), so uploading the directory keeps it. */
class HfManifestTest {
    @Test
    void hfOutputHoldsTheManifest(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("pruned-hf");
        PruneCommandTest.Run r = PruneCommandTest.run("--model", SharedFiles.require(SharedFiles.stories260KBin()).toString(),
                "--tokenizer", SharedFiles.require(SharedFiles.tok512()).toString(), "--method", "magnitude", "--pattern", "2:4",
                "--format", "safetensors", "--out", out.toString(), "-q");
        assertThat(r.exit()).as(r.err()).isZero();
        Path inside = out.resolve(PruneCommand.HF_MANIFEST);
        assertThat(inside).isRegularFile();
        ObjectMapper json = new ObjectMapper();
        assertThat(json.readTree(inside.toFile())).isEqualTo(json.readTree(PruneCommand.manifestPath(out).toFile()));
        assertThat(json.readTree(inside.toFile()).path("format").asText()).isEqualTo(PruneCommand.MANIFEST_FORMAT);
        assertThat(Files.exists(out.resolve("config.json"))).isTrue();
        // The extra file does not disturb reading the directory back.
        assertThat(ModelLoader.load(out, null).weights().config().nLayers()).isEqualTo(5);
    }
}
