package dev.mixprune.recover;

import dev.mixprune.BadInputException;
import dev.mixprune.io.BlockSource;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks shared by both recovery modes: the model is pruned, and its zeros are exactly kept. */
public final class Recovery {
    private Recovery() {}

    /** Zeros in the seven linears of every block. */
    public static long zeros(BlockWeights w) {
        long z = 0;
        for (LayerKind k : LayerKind.values()) {
            for (float v : w.linear(k).data()) if (v == 0f) z++;
        }
        return z;
    }

    /** Zeros in the linears of an in-memory model; refuses (exit 3, naming the file) a model without any: nothing to recover. */
    public static long requirePruned(Path file, LlamaWeights w) {
        long z = 0;
        for (int b = 0; b < w.config().nLayers(); b++) z += zeros(w.block(b));
        return requireSome(file, z);
    }

    /** As {@link #requirePruned(Path, LlamaWeights)} for a streamed model (one block read at a time). */
    public static long requirePruned(Path file, BlockSource src) {
        return requireSome(file, countZeros(src));
    }

    /** Zeros in the linears of a model and the most kept (non-zero) linear entries of any one block. */
    public record Counts(long zeros, long maxKeptPerBlock) {}

    /** One pass over a streamed model (one block read at a time): its {@link Counts}; refuses a model without zeros like {@link #requirePruned}. */
    public static Counts requirePrunedCounts(Path file, BlockSource src) {
        long z = 0, maxKept = 0;
        for (int b = 0; b < src.config().nLayers(); b++) {
            BlockWeights w = src.block(b);
            long zb = zeros(w);
            z += zb;
            maxKept = Math.max(maxKept, src.config().prunablePerBlock() - zb);
            src.release(w);
        }
        return new Counts(requireSome(file, z), maxKept);
    }

    static long countZeros(BlockSource src) {
        long z = 0;
        for (int b = 0; b < src.config().nLayers(); b++) {
            BlockWeights w = src.block(b);
            z += zeros(w);
            src.release(w);
        }
        return z;
    }

    private static long requireSome(Path file, long zeros) {
        if (zeros == 0) {
            throw BadInputException.in(file, "has no zero weights in its linears: there is nothing to recover (recover trains a PRUNED model with its zeros fixed; "
                    + "prune it first, e.g. ./mixprune prune --method wanda --sparsity 0.5)");
        }
        return zeros;
    }

    /** The written model has exactly the zeros the pruned one had (f16 output could round tiny values to zero: said plainly). */
    public static void requireZeros(Path out, BlockSource written, long expected) {
        long z = countZeros(written);
        if (z != expected) {
            throw new IllegalStateException(out + ": the written model has " + z + " zeros in its linears, the pruned model " + expected
                    + (z > expected ? " (values rounded to zero by the output dtype: write f32)" : ""));
        }
    }

    /** In memory: every masked linear still has zeros exactly where its mask says. */
    public static void requireSameZeros(Trainables t, String when) {
        for (Trainables.Tensor x : t.tensors()) {
            if (x.mask() != null && !x.mask().matchesNonZerosOf(new dev.mixprune.tensor.Matrix(x.mask().rows(), x.mask().cols(), x.values()))) {
                throw new IllegalStateException(x.name() + ": zeros changed " + when + " (a bug: the masks are fixed)");
            }
        }
    }

    /** What a checkpoint must belong to: the model and teacher files (name and size) and the pruned zeros. */
    public static String fingerprint(Path model, Path teacher, long zeros) throws IOException {
        return "model=" + model.getFileName() + ":" + size(model) + " teacher=" + teacher.getFileName() + ":" + size(teacher) + " zeros=" + zeros;
    }

    private static long size(Path p) throws IOException {
        if (!Files.isDirectory(p)) return Files.size(p);
        long s = 0;
        try (var files = Files.list(p)) {
            for (Path f : (Iterable<Path>) files::iterator) if (Files.isRegularFile(f)) s += Files.size(f);
        }
        return s;
    }
}
