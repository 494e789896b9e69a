package dev.mixprune.recover;

import dev.mixprune.BadInputException;
import dev.mixprune.model.LlamaConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The teacher must be the pruned model's dense original: the same tensor shapes (context length and RoPE settings aside). */
public final class Shapes {
    private Shapes() {}

    /** The fields in which two configs' tensor shapes differ ("dim 64 vs 48", ...); empty when they match. */
    public static List<String> differences(LlamaConfig a, LlamaConfig b) {
        List<String> d = new ArrayList<>();
        diff(d, "dim", a.dim(), b.dim());
        diff(d, "hidden_dim", a.hiddenDim(), b.hiddenDim());
        diff(d, "n_layers", a.nLayers(), b.nLayers());
        diff(d, "n_heads", a.nHeads(), b.nHeads());
        diff(d, "n_kv_heads", a.nKvHeads(), b.nKvHeads());
        diff(d, "head_dim", a.headDim(), b.headDim());
        diff(d, "vocab_size", a.vocabSize(), b.vocabSize());
        if (!a.biases().equals(b.biases())) d.add("biases " + a.biases() + " vs " + b.biases());
        if (a.sharedClassifier() != b.sharedClassifier()) d.add("shared classifier " + a.sharedClassifier() + " vs " + b.sharedClassifier());
        return d;
    }

    private static void diff(List<String> d, String what, int x, int y) {
        if (x != y) d.add(what + " " + x + " vs " + y);
    }

    /** Refuses (exit 3, naming the teacher file) a teacher whose shapes differ from the model's. */
    public static void requireSameShape(Path model, LlamaConfig student, Path teacher, LlamaConfig dense) {
        List<String> d = differences(dense, student);
        if (!d.isEmpty()) {
            throw BadInputException.in(teacher, "the teacher's shape differs from the model's (" + model + "): teacher vs model " + String.join(", ", d)
                    + "; the teacher must be the dense model the pruned one was made from");
        }
    }
}
