package dev.mixprune.io;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.sparse.NmMasks;
import dev.mixprune.sparse.PackedNM;
import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Magnitude N:M pruning and packing of a model too large for memory, block by block: each linear
 * is read from the memory-mapped input ({@link MappedBlockSource}), masked and packed, so memory
 * holds one dense layer plus one block's packed layers (plus the embedding's row chunks while they
 * are copied). The output is a packed GGUF (docs/formats.md "Packed N:M") written by the GGUF
 * block sink; its header is known up front because packed shapes follow from N:M. Magnitude only:
 * calibrated methods (Wanda, SparseGPT) need activations through the model.
 */
public final class StreamingPacker {
    private StreamingPacker() {}

    /** Called when block {@code block} has been written, with the seconds it took. */
    @FunctionalInterface
    public interface Progress {
        void blockDone(int block, double seconds);
    }

    public static void prune(Path in, Path out, int n, int m, TensorDType dtype, Progress progress) throws IOException {
        PackedGguf.Nm nm = new PackedGguf.Nm(n, m);
        try (MappedBlockSource src = MappedBlockSource.openDense(in, null)) {
            LlamaConfig c = src.config();
            Map<LayerId, PackedGguf.Nm> layout = new LinkedHashMap<>();
            for (LayerId id : LayerId.all(c)) layout.put(id, nm);
            try (GgufBlockSink sink = new GgufBlockSink(src, out, dtype, layout)) {
                for (int b = 0; b < c.nLayers(); b++) {
                    long t0 = System.nanoTime();
                    EnumMap<LayerKind, LinearWeight> lin = new EnumMap<>(LayerKind.class);
                    for (LayerKind k : LayerKind.values()) {
                        // One dense layer at a time: read, mask, pack, drop.
                        Matrix w = (Matrix) src.readLinear(b, k, null);
                        lin.put(k, PackedNM.pack(NmMasks.magnitude(w, n, m), n, m));
                    }
                    sink.accept(b, new BlockWeights(src.attNorm(b), src.ffnNorm(b), lin, src.biases(b), b));
                    progress.blockDone(b, (System.nanoTime() - t0) / 1e9);
                }
                sink.finish();
            }
        }
    }
}
