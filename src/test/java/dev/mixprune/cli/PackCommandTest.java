package dev.mixprune.cli;

import dev.mixprune.SharedFiles;
import dev.mixprune.io.GgufLlama;
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
        GgufLlama.write(pruned, w, m.vocabularyOrNull(), Map.of(), TensorDType.F32);

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
    }
}
