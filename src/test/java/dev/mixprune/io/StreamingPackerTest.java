package dev.mixprune.io;

import dev.mixprune.SharedFiles;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.TensorDType;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.sparse.NmMasks;
import dev.mixprune.sparse.PackedNM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StreamingPackerTest {
    @Test
    void streamedPruneEqualsInMemoryMagnitudePruneAndPack(@TempDir Path dir) throws Exception {
        Path in = SharedFiles.require(SharedFiles.stories260KGguf()), out = dir.resolve("streamed.gguf");
        List<Integer> done = new ArrayList<>();
        StreamingPacker.prune(in, out, 2, 8, TensorDType.F32, (b, s) -> done.add(b));
        LlamaWeights dense = ModelLoader.load(in, null).weights();
        var back = ModelLoader.load(out, null);
        assertThat(back.tokenizer()).isPresent();
        assertThat(done).containsExactly(0, 1, 2, 3, 4);
        LlamaWeights unpacked = back.weights().unpack();
        for (LayerId id : LayerId.all(dense.config())) {
            assertThat(back.weights().weight(id)).isInstanceOf(PackedNM.class);
            assertThat(unpacked.linear(id).data()).as(id.name()).isEqualTo(NmMasks.magnitude(dense.linear(id), 2, 8).data());
        }
        assertThat(unpacked.tokenEmbedding().data()).isEqualTo(dense.tokenEmbedding().data());
        assertThat(unpacked.classifier().data()).isEqualTo(dense.classifier().data());
    }
}
