package dev.mixprune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.GgufFile;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.TensorDType;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The streaming `prune` end to end: float types kept, a corrupt block fails with nothing written. */
class PruneStreamingCommandTest {
    static Path bin, tok;
    @TempDir static Path inputs;
    static Path f16, nanAtBlock2;

    @BeforeAll
    static void setUp() throws Exception {
        bin = SharedFiles.require(SharedFiles.stories260KBin());
        tok = SharedFiles.require(SharedFiles.tok512());
        LoadedModel m = ModelLoader.load(bin, tok);
        f16 = inputs.resolve("f16.gguf");
        ModelWriter.write(m.weights(), m.tokenizerOrNull(), m.metadata(), f16, ModelFormat.GGUF, TensorDType.F16);
        // Block 2's wq is all NaN: the input reads fine, the failure comes in the middle of the run.
        LlamaWeights bad = m.weights().copy();
        Arrays.fill(bad.block(2).linear(LayerKind.WQ).data(), Float.NaN);
        nanAtBlock2 = inputs.resolve("nan.gguf");
        ModelWriter.write(bad, m.tokenizerOrNull(), m.metadata(), nanAtBlock2, ModelFormat.GGUF, TensorDType.F32);
    }

    static List<String> args(Path model, Path out, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("--model", model.toString(), "--nsamples", "4", "--seqlen", "64", "--out", out.toString()));
        a.addAll(List.of(more));
        return a;
    }

    @Test
    void anF16InputIsWrittenAsF16AndTheManifestSaysSo(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("p.gguf");
        PruneCommandTest.Run r = PruneCommandTest.run(args(f16, out, "--method", "wanda", "--pattern", "2:4").toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        try (GgufFile g = GgufFile.open(out)) {
            assertThat(g.tensor("blk.0.attn_q.weight").type().name()).isEqualTo("F16");
            assertThat(g.tensor("blk.0.attn_norm.weight").type().name()).isEqualTo("F32");
        }
        JsonNode m = new ObjectMapper().readTree(Files.readString(PruneCommand.manifestPath(out)));
        assertThat(m.path("model").path("weight_type").asText()).isEqualTo("F16");
        assertThat(m.path("output").path("dtype").asText()).isEqualTo("f16");

        Path out32 = dir.resolve("p32.gguf");
        r = PruneCommandTest.run(args(f16, out32, "--method", "wanda", "--pattern", "2:4", "--dtype", "f32").toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        try (GgufFile g = GgufFile.open(out32)) {
            assertThat(g.tensor("blk.0.attn_q.weight").type().name()).isEqualTo("F32");
        }
        // Rounding the F32 result to F16 gives the F16 file's weights: same pruning, only the storage differs.
        float[] a = ModelLoader.load(out32, null).weights().block(1).linear(LayerKind.W2).data();
        float[] b = ModelLoader.load(out, null).weights().block(1).linear(LayerKind.W2).data();
        for (int i = 0; i < a.length; i++) assertThat(Float.float16ToFloat(Float.floatToFloat16(a[i]))).isEqualTo(b[i]);
    }

    @Test
    void f16IntoABinIsAUsageErrorAndWritesNothing(@TempDir Path dir) {
        Path out = dir.resolve("o").resolve("p.bin");
        PruneCommandTest.Run r = PruneCommandTest.run(args(bin, out, "--tokenizer", tok.toString(), "--method", "magnitude", "--sparsity", "0.5", "--dtype", "f16").toArray(String[]::new));
        assertThat(r.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("float32 only");
        assertThat(dir.resolve("o")).doesNotExist();
    }

    @Test
    void aCorruptBlockInTheMiddleFailsTheRunAndLeavesNoOutput(@TempDir Path dir) throws Exception {
        Path outDir = dir.resolve("o");
        Path out = outDir.resolve("p.gguf");
        PruneCommandTest.Run r = PruneCommandTest.run(args(nanAtBlock2, out, "--method", "sparsegpt", "--pattern", "2:4").toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isNotZero();
        assertThat(r.err()).contains("prune: block 2/5 done").doesNotContain("prune: block 3/5 done");
        assertThat(outDir).doesNotExist();
    }
}
