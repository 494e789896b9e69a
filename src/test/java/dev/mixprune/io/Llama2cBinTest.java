package dev.mixprune.io;

import dev.mixprune.BadInputException;
import dev.mixprune.SharedFiles;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Llama2cBinTest {
    @Test
    void readsStories260KHeader() throws Exception {
        LlamaWeights w = ModelLoader.loadWeights(SharedFiles.require(SharedFiles.stories260KBin()));
        LlamaConfig c = w.config();
        assertThat(c.dim()).isEqualTo(64);
        assertThat(c.hiddenDim()).isEqualTo(172);
        assertThat(c.nLayers()).isEqualTo(5);
        assertThat(c.nHeads()).isEqualTo(8);
        assertThat(c.nKvHeads()).isEqualTo(4);
        assertThat(c.vocabSize()).isEqualTo(512);
        assertThat(c.seqLen()).isEqualTo(512);
        assertThat(c.sharedClassifier()).isTrue();
        assertThat(c.parameterCount()).isEqualTo(260_032);
        assertThat(c.prunableTotal()).isEqualTo(226_560);
    }

    @Test
    void roundTripIsBitExact(@TempDir Path tmp) throws Exception {
        Path src = SharedFiles.stories260KBin();
        LlamaWeights w = ModelLoader.loadWeights(src);
        Path out = tmp.resolve("copy.bin");
        ModelWriter.write(w, null, null, out, ModelFormat.BIN, TensorDType.F32);
        LlamaWeights back = ModelLoader.loadWeights(out);
        assertThat(back.config()).isEqualTo(w.config());
        assertThat(back.block(3).w2().data()).isEqualTo(w.block(3).w2().data());
        // Everything but the (ignored) RoPE tables must be identical bytes.
        byte[] a = Files.readAllBytes(src), b = Files.readAllBytes(out);
        assertThat(b.length).isEqualTo(a.length);
        long ropeStart = 28 + 4L * (260_032 - 64 * 0) - 4L * 0; // weights end before the tables
        int tablesBytes = 2 * 4 * 512 * 4;
        int weightsEnd = a.length - tablesBytes;
        assertThat(Arrays.copyOf(b, weightsEnd)).isEqualTo(Arrays.copyOf(a, weightsEnd));
        assertThat(ropeStart).isPositive();
    }

    @Test
    void truncatedFileNamesTheSizeMismatch(@TempDir Path tmp) throws Exception {
        byte[] a = Files.readAllBytes(SharedFiles.stories260KBin());
        Path bad = tmp.resolve("trunc.bin");
        Files.write(bad, Arrays.copyOf(a, a.length - 100));
        assertThatThrownBy(() -> ModelLoader.loadWeights(bad)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("trunc.bin").hasMessageContaining("implies 1056540 bytes");
    }

    @Test
    void lyingHeaderDoesNotAllocate(@TempDir Path tmp) throws Exception {
        byte[] a = Files.readAllBytes(SharedFiles.stories260KBin());
        a[0] = (byte) 0xff; a[1] = (byte) 0xff; a[2] = (byte) 0x0f; // dim ~ 1M
        Path bad = tmp.resolve("lie.bin");
        Files.write(bad, a);
        assertThatThrownBy(() -> ModelLoader.loadWeights(bad)).isInstanceOf(BadInputException.class).hasMessageContaining("lie.bin");
    }

    @Test
    void wrongMagicOfAV1ExportIsNamed(@TempDir Path tmp) throws Exception {
        byte[] a = Files.readAllBytes(SharedFiles.stories260KBin());
        a[0] = 0x32; a[1] = 0x34; a[2] = 0x6b; a[3] = 0x61; // "ak42" as little-endian u32
        Path bad = tmp.resolve("v1.bin");
        Files.write(bad, a);
        assertThatThrownBy(() -> ModelLoader.loadWeights(bad)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("v1.bin").hasMessageContaining("at byte offset 0").hasMessageContaining("legacy v0");
    }

    @Test
    void tokenizerVocabularyMismatchIsNamed() {
        assertThatThrownBy(() -> ModelLoader.load(SharedFiles.stories260KBin(), GgufReadTest.tinyRandom())).isInstanceOf(BadInputException.class)
                .hasMessageContaining("llama-2-tiny-random.gguf").hasMessageContaining("32000 pieces but the model's vocabulary has 512");
    }
}
