package dev.mixprune.reliability;

import dev.mixprune.SharedFiles;
import dev.mixprune.cli.Main;
import dev.mixprune.io.Llama2cBin;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.tensor.NonFinite;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13 F2: NaN/Inf weights gave exit 0 and garbage ("ppl NaN", "&lt;unk&gt;&lt;unk&gt;", a
 * "successful" prune), and an unnamed error from sensitivity. Now every command stops with exit 3
 * naming the file, the tensor and the index; finite but extreme weights that make the activations
 * overflow stop with exit 3 naming the model and the window.
 */
class NonFiniteTest {
    @TempDir Path dir;
    Path model;
    Path text;
    LlamaConfig config;

    @BeforeEach
    void copyTheModel() throws IOException {
        model = Files.copy(SharedFiles.require(SharedFiles.stories260KBin()), dir.resolve("damaged.bin"));
        Files.copy(SharedFiles.require(SharedFiles.tok512()), dir.resolve("tok512.bin"));
        config = Llama2cBin.readConfig(model);
        text = Files.writeString(dir.resolve("text.txt"), "Once upon a time there was a little cat. It liked to play in the sun with its friends.\n".repeat(20));
    }

    void putFloat(long offset, float v) throws IOException {
        try (FileChannel ch = FileChannel.open(model, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, v), offset);
        }
    }

    static void assertBadInput(Cli.Run r, List<String> args, String... mentions) {
        assertThat(r.exit()).as("%s -> %s", args, r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).as(args.toString()).contains(mentions).doesNotContain("Exception").doesNotContain("at dev.");
    }

    @Test
    void aNanWeightIsExit3NamingFileTensorAndIndexInEveryCommand() throws Exception {
        Llama2cBin.Layout lay = new Llama2cBin.Layout(config);
        int row = 3, col = 5;
        putFloat(lay.linear(LayerKind.W2, 1) + 4L * (row * config.colsOf(LayerKind.W2) + col), Float.NaN);
        String m = model.toString();
        long index = (long) row * config.colsOf(LayerKind.W2) + col;
        Path out = dir.resolve("out.bin");
        for (List<String> args : List.of(
                List.of("ppl", "-q", "--model", m, "--text", text.toString(), "--seqlen", "32"),
                List.of("generate", "-q", "--model", m, "-n", "8", "--temperature", "0"),
                List.of("prune", "-q", "--model", m, "--method", "magnitude", "--sparsity", "0.5", "--out", out.toString()),
                List.of("prune", "-q", "--model", m, "--method", "wanda", "--sparsity", "0.5", "--calib", text.toString(), "--nsamples", "2",
                        "--seqlen", "32", "--out", out.toString()),
                List.of("sensitivity", "-q", "--model", m, "--calib", text.toString(), "--samples", "2", "--seqlen", "32",
                        "--out", dir.resolve("f.json").toString()))) {
            assertBadInput(Cli.run(args.toArray(String[]::new)), args, m, "layer 1 w2", "NaN", "index " + index, "row " + row);
            assertThat(out).as("no output after %s", args).doesNotExist();
        }
    }

    @Test
    void overflowingActivationsAreExit3NamingModelAndWindow() throws Exception {
        // Finite weights, but an attention-norm gain of 1e30 makes block 0's residual stream overflow.
        Llama2cBin.Layout lay = new Llama2cBin.Layout(config);
        for (int i = 0; i < config.dim(); i++) putFloat(lay.ffnNorm(0) + 4L * i, 3e38f);
        for (int i = 0; i < config.dim(); i++) putFloat(lay.attNorm(1) + 4L * i, 3e38f);
        String m = model.toString();
        List<String> ppl = List.of("ppl", "-q", "--model", m, "--text", text.toString(), "--seqlen", "32");
        assertBadInput(Cli.run(ppl.toArray(String[]::new)), ppl, m, "window 0", "overflow");
        Path out = dir.resolve("out.bin");
        List<String> wanda = List.of("prune", "-q", "--model", m, "--method", "wanda", "--sparsity", "0.5", "--calib", text.toString(),
                "--nsamples", "2", "--seqlen", "32", "--out", out.toString());
        assertBadInput(Cli.run(wanda.toArray(String[]::new)), wanda, m, "calibration window", "overflow");
        assertThat(out).doesNotExist();
    }

    @Test
    void theScanFindsTheFirstNonFiniteValue() {
        float[] v = new float[1000];
        assertThat(NonFinite.first(v)).isEqualTo(-1);
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int at : new int[]{0, 17, 999}) {
                float[] w = v.clone();
                w[at] = bad;
                w[Math.min(999, at + 3)] = Float.NaN;
                assertThat(NonFinite.first(w)).isEqualTo(at);
            }
        }
        assertThat(NonFinite.first(new float[]{Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE})).isEqualTo(-1);
    }
}
