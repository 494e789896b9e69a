package dev.mixprune.io;

import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.sparse.PackedNM;
import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Bytes per prunable layer of a (possibly packed) model and the totals, dense vs as stored, for
 * {@code pack} and {@code inspect}. {@code valueBytes} is the on-disk size of one value (4 for F32,
 * 2 for F16); packed layers add their bit-packed indices.
 */
public record PackReport(List<Layer> layers, long otherBytes, int valueBytes) {

    /** One prunable layer: its storage ("dense" or "N:M") and bytes dense vs as stored. */
    public record Layer(String name, String shape, String storage, long denseBytes, long storedBytes) {}

    public static PackReport of(LlamaWeights w, int valueBytes) {
        LlamaConfig c = w.config();
        List<Layer> layers = new ArrayList<>();
        for (LayerId id : LayerId.all(c)) {
            LinearWeight lw = w.weight(id);
            long dense = (long) valueBytes * lw.rows() * lw.cols();
            layers.add(switch (lw) {
                case PackedNM p -> new Layer(id.name(), lw.shape(), p.n() + ":" + p.m(), dense, storedBytes(p, valueBytes));
                case Matrix m -> new Layer(id.name(), lw.shape(), "dense", dense, dense);
                default -> throw new IllegalStateException("unknown weight storage " + lw.getClass().getName());
            });
        }
        // Embedding, classifier (if separate), norms and biases: stored as before (norms and biases always F32).
        long other = (long) valueBytes * c.vocabSize() * c.dim() * (c.sharedClassifier() ? 1 : 2) + 4L * c.dim() * (2L * c.nLayers() + 1)
                + 4L * c.biasesPerBlock() * c.nLayers();
        return new PackReport(layers, other, valueBytes);
    }

    /**
     * For {@code inspect}: the report of a loaded model, with the value size its file declares
     * (GGUF general.file_type 1 = F16 values, otherwise F32).
     */
    public static PackReport of(LoadedModel m) {
        Object ft = m.metadata().get("general.file_type");
        boolean f16 = ft instanceof GgufValue g && g.type().isInteger() && g.asLong() == 1;
        return of(m.weights(), f16 ? 2 : 4);
    }

    /** For {@code inspect}: a layer's weights as a dense matrix whatever its storage (for zero counts). */
    public static Matrix dense(LinearWeight w) {
        return switch (w) {
            case Matrix m -> m;
            case PackedNM p -> p.toDense();
            default -> throw new IllegalStateException("unknown weight storage " + w.getClass().getName());
        };
    }

    /** Bytes on disk of a packed layer as {@link PackedGguf} writes it (index rows start on a byte). */
    public static long storedBytes(PackedNM p, int valueBytes) {
        return (long) p.rows() * p.slotsPerRow() * valueBytes + (long) p.rows() * PackedGguf.indexRowBytes(p.slotsPerRow(), p.indexBits());
    }

    public long denseLinearBytes() { return layers.stream().mapToLong(Layer::denseBytes).sum(); }
    public long storedLinearBytes() { return layers.stream().mapToLong(Layer::storedBytes).sum(); }
    public long packedLayers() { return layers.stream().filter(l -> !l.storage().equals("dense")).count(); }

    public void print(PrintWriter out) {
        out.printf(Locale.ROOT, "%-14s %-11s %-7s %14s %14s %7s%n", "layer", "shape", "storage", "dense_bytes", "stored_bytes", "ratio");
        for (Layer l : layers) {
            out.printf(Locale.ROOT, "%-14s %-11s %-7s %,14d %,14d %7.3f%n", l.name(), l.shape(), l.storage(), l.denseBytes(), l.storedBytes(),
                    (double) l.storedBytes() / l.denseBytes());
        }
        long d = denseLinearBytes(), s = storedLinearBytes();
        out.printf(Locale.ROOT, "prunable linears: %,d bytes dense, %,d bytes stored (%.3fx); %d of %d layers packed%n", d, s, (double) s / d, packedLayers(), layers.size());
        out.printf(Locale.ROOT, "whole model (%s values, excluding header): %,d bytes dense, %,d bytes stored (%.3fx)%n", valueBytes == 4 ? "F32" : "F16",
                d + otherBytes, s + otherBytes, (double) (s + otherBytes) / (d + otherBytes));
    }
}
