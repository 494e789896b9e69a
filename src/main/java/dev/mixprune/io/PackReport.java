package dev.mixprune.io;

import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.quant.Q8Matrix;
import dev.mixprune.sparse.PackedNM;
import dev.mixprune.sparse.PackedNMQ8;
import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Bytes per prunable layer of a (possibly packed) model and the totals, dense vs as stored, for
 * {@code pack}, {@code inspect} and the benchmarks. {@code dtype} is the file's value type: F32,
 * F16, or Q8_0 / Q4_0 (ggml blocks; rows that are not whole 32-value blocks stay F16, as the writer
 * stores them); packed layers add their bit-packed indices, and hold Q8_0 blocks of kept values
 * when the values are 8-bit. "dense" is the same layer unpruned in the same dtype.
 */
public record PackReport(List<Layer> layers, long otherBytes, TensorDType dtype) {

    /** One prunable layer: its storage ("dense" or "N:M") and bytes dense vs as stored. */
    public record Layer(String name, String shape, String storage, long denseBytes, long storedBytes) {}

    public static PackReport of(LlamaWeights w, TensorDType dtype) {
        LlamaConfig c = w.config();
        List<Layer> layers = new ArrayList<>();
        for (LayerId id : LayerId.all(c)) {
            LinearWeight lw = w.weight(id);
            long dense = denseBytes(lw.rows(), lw.cols(), dtype);
            layers.add(switch (lw) {
                case PackedNM p -> new Layer(id.name(), lw.shape(), p.n() + ":" + p.m(), dense, dtype == TensorDType.Q8_0
                        ? storedBytes(PackedNMQ8.quantize(p)) : storedBytes(p, dtype == TensorDType.F32 ? 4 : 2));
                case PackedNMQ8 q -> new Layer(id.name(), lw.shape(), q.n() + ":" + q.m() + " q8", dense, storedBytes(q));
                case Matrix m -> new Layer(id.name(), lw.shape(), "dense", dense, dense);
                case Q8Matrix q -> new Layer(id.name(), lw.shape(), "dense", dense, dense);
                default -> throw new IllegalStateException("unknown weight storage " + lw.getClass().getName());
            });
        }
        // Embedding, classifier (if separate) and norms: stored in the dtype (norms and biases always F32).
        long other = denseBytes(c.vocabSize(), c.dim(), dtype) * (c.sharedClassifier() ? 1 : 2) + 4L * c.dim() * (2L * c.nLayers() + 1)
                + 4L * c.biasesPerBlock() * c.nLayers();
        return new PackReport(layers, other, dtype);
    }

    /** Bytes of a dense [rows][cols] weight stored in {@code dtype}. */
    public static long denseBytes(int rows, int cols, TensorDType dtype) { return dtype.ggmlTypeFor(cols).bytesFor((long) rows * cols); }

    /**
     * For {@code inspect}: the report of a loaded model, with the value type its file declares
     * (GGUF general.file_type 1 = F16, 7 = Q8_0, 2 = Q4_0, otherwise F32).
     */
    public static PackReport of(LoadedModel m) {
        Object ft = m.metadata().get("general.file_type");
        long t = ft instanceof GgufValue g && g.type().isInteger() ? g.asLong() : 0;
        TensorDType d = t == 1 ? TensorDType.F16 : t == 7 ? TensorDType.Q8_0 : t == 2 ? TensorDType.Q4_0 : TensorDType.F32;
        return of(m.weights(), d);
    }

    /** For {@code inspect}: a layer's weights as a dense matrix whatever its storage (for zero counts). */
    public static Matrix dense(LinearWeight w) {
        return switch (w) {
            case Matrix m -> m;
            case PackedNM p -> p.toDense();
            case PackedNMQ8 p -> p.toDense();
            case Q8Matrix q -> q.toDense();
            default -> throw new IllegalStateException("unknown weight storage " + w.getClass().getName());
        };
    }

    /** Bytes on disk of a packed layer as {@link PackedGguf} writes it (index rows start on a byte). */
    public static long storedBytes(PackedNM p, int valueBytes) {
        return (long) p.rows() * p.slotsPerRow() * valueBytes + (long) p.rows() * PackedGguf.indexRowBytes(p.slotsPerRow(), p.indexBits());
    }

    /** The same with 8-bit values (Q8_0 blocks of each row's kept values). */
    public static long storedBytes(PackedNMQ8 q) { return q.storedBytes(); }

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
        out.printf(Locale.ROOT, "whole model (%s values, excluding header): %,d bytes dense, %,d bytes stored (%.3fx)%n", dtype.name(),
                d + otherBytes, s + otherBytes, (double) (s + otherBytes) / (d + otherBytes));
    }
}
