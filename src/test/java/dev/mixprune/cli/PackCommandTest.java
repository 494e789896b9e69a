package dev.mixprune.cli;

import dev.mixprune.SharedFiles;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.TensorDType;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.sparse.NmMasks;
import dev.mixprune.sparse.PackedNM;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PackCommandTest {
    @Test
    void packsEachLayerWithItsSmallestNAndReportsBytes(@TempDir Path dir) throws Exception {
        LoadedModel m = ModelLoader.load(SharedFiles.require(SharedFiles.stories260KGguf()), null);
        LlamaWeights w = m.weights().copy();
        for (LayerId id : LayerId.all(w.config())) {
            if (id.kind() == LayerKind.WK) continue; // left dense
            int n = id.kind() == LayerKind.W1 ? 3 : 2;
            w.block(id.block()).setLinear(id.kind(), NmMasks.magnitude(w.linear(id), n, 8));
        }
        Path pruned = dir.resolve("pruned.gguf"), packed = dir.resolve("packed.gguf");
        ModelWriter.write(w, m.tokenizerOrNull(), Map.of(), pruned, ModelFormat.GGUF, TensorDType.F32);

        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new PackCommand());
        cl.setOut(new PrintWriter(out));
        int rc = cl.execute("--model", pruned.toString(), "--out", packed.toString(), "--m", "8");
        assertThat(rc).as(out.toString()).isZero();
        String text = out.toString();
        assertThat(text).contains("blk.0.wq").contains("2:8").contains("3:8").contains("dense").contains("prunable linears:")
                .contains((w.config().nLayers() * 6) + " of " + (w.config().nLayers() * 7) + " layers packed");

        LlamaWeights back = ModelLoader.load(packed, null).weights();
        assertThat(back.weight(new LayerId(0, LayerKind.WK))).isInstanceOf(Matrix.class);
        assertThat(((PackedNM) back.weight(new LayerId(0, LayerKind.W1))).n()).isEqualTo(3);
        assertThat(((PackedNM) back.weight(new LayerId(0, LayerKind.W2))).n()).isEqualTo(2);
        LlamaWeights unpacked = back.unpack();
        for (LayerId id : LayerId.all(w.config())) assertThat(unpacked.linear(id).data()).isEqualTo(w.linear(id).data());
        assertThat(Files.size(packed)).isLessThan(Files.size(pruned));
        assertThat(dev.mixprune.io.PackReport.of(ModelLoader.load(packed, null)).dtype()).isEqualTo(dev.mixprune.io.TensorDType.F32);

        // generate and ppl run directly on the packed file and agree with the dense-masked file.
        Path small = dir.resolve("small.txt");
        Files.writeString(small, Files.readString(SharedFiles.tinyStoriesValid()).substring(0, 4000));
        for (String[] args : new String[][]{{"--text", small.toString(), "--seqlen", "128", "--json"}}) {
            var onDense = ForwardCommandsTest.run(PplCommand::new, concat(new String[]{"--model", pruned.toString()}, args));
            var onPacked = ForwardCommandsTest.run(PplCommand::new, concat(new String[]{"--model", packed.toString()}, args));
            assertThat(onPacked.code()).as(onPacked.err()).isZero();
            double a = new com.fasterxml.jackson.databind.ObjectMapper().readTree(onDense.text()).get("mean_nll").asDouble();
            double b = new com.fasterxml.jackson.databind.ObjectMapper().readTree(onPacked.text()).get("mean_nll").asDouble();
            assertThat(b).isCloseTo(a, org.assertj.core.data.Offset.offset(1e-5));
        }
        var genDense = ForwardCommandsTest.run(GenerateCommand::new, "--model", pruned.toString(), "-n", "100");
        var genPacked = ForwardCommandsTest.run(GenerateCommand::new, "--model", packed.toString(), "-n", "100");
        assertThat(genPacked.code()).as(genPacked.err()).isZero();
        assertThat(genPacked.text()).isEqualTo(genDense.text()).isNotBlank();
    }

    static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
