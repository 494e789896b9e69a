package dev.mixprune.cli;

import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.tensor.Matrix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "inspect", description = "Show a model's format, config, tensors, parameter counts and per-layer sparsity.")
final class InspectCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model file (.bin, .gguf) or HF directory") Path model;
    @Option(names = "--tokenizer", description = "tokenizer.bin for llama2.c models") Path tokenizer;

    @Override public Integer call() throws Exception {
        LoadedModel m = ModelLoader.load(model, tokenizer);
        LlamaConfig c = m.weights().config();
        System.out.printf("model     %s%nformat    %s%n", m.path(), m.format());
        System.out.printf("config    %s%n", c);
        System.out.printf("params    %,d total, %,d prunable%n", c.parameterCount(), c.prunableTotal());
        long zeros = 0;
        System.out.printf("%-12s %-12s %10s %9s%n", "layer", "shape", "weights", "sparsity");
        for (LayerId id : LayerId.all(c)) {
            Matrix w = m.weights().linear(id);
            long z = w.countZeros();
            zeros += z;
            System.out.printf("%-12s %-12s %,10d %8.4f%n", id.name(), w.shape(), w.size(), (double) z / w.size());
        }
        System.out.printf("overall sparsity of the prunable set: %.6f%n", (double) zeros / c.prunableTotal());
        return 0;
    }
}
