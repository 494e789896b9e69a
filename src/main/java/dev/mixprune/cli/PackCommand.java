package dev.mixprune.cli;

import dev.mixprune.io.OutputSet;
import dev.mixprune.UsageException;
import dev.mixprune.io.GgufValue;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.TensorDType;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.io.PackReport;
import dev.mixprune.io.PackedGguf;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Packs a pruned model for deployment: every linear that is N:M sparse for the given M (N < M) is
 * stored as its kept values plus bit-packed in-group indices (the smallest N that holds, per
 * layer); other layers stay dense. Writes a packed GGUF (docs/formats.md "Packed N:M") and prints
 * bytes per layer and totals.
 */
@Command(name = "pack",
        description = "Pack an N:M-pruned model into a smaller, faster packed GGUF.")
public final class PackCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "pruned model (.bin, .gguf, packed .gguf or HF directory)") Path model;
    @Option(names = "--tokenizer", description = "tokenizer for llama2.c models (default: found beside the model); written into the GGUF") Path tokenizer;
    @Option(names = "--out", required = true, description = "output packed .gguf") Path out;
    @Mixin ComputeOptions compute = new ComputeOptions();
    @Option(names = "--m", defaultValue = "8", description = "group size M (2..128; default ${DEFAULT-VALUE})") int m;
    @Option(names = "--values", defaultValue = "f32",
            description = "kept values as f32, f16 or q8 (8-bit: Q8_0 blocks of 32 kept values; dense tensors then Q8_0 too); default ${DEFAULT-VALUE}") String values;
    @Spec CommandSpec spec;

    @Override public Integer call() throws Exception {
        UsageException.require(m >= 2 && m <= 128, "--m", "a group size in 2..128", m);
        TensorDType dtype = UsageException.fromOption("--values", () -> TensorDType.parse(values));
        if (dtype == TensorDType.Q4_0) throw UsageException.option("--values", "packed values are f32, f16 or q8, not q4_0");
        try (OutputSet outs = OutputSet.begin(CommandFiles.model(model, tokenizer), false)) {
            Path staged = outs.file(out, OutputSet.Existing.REPLACE, "--out");
            LlamaWeights packed;
            try {
                packed = pack(dtype, staged);
            } catch (java.io.IOException e) {
                throw outs.named(e);
            }
            outs.commit();
            PrintWriter pw = spec.commandLine().getOut();
            pw.printf("packed %s -> %s (M = %d, %s values)%n", model, out, m, dtype == TensorDType.Q8_0 ? "8-bit (Q8_0 blocks)" : dtype.name());
            PackReport.of(packed, dtype).print(pw);
            pw.printf("file size: %,d bytes%n", java.nio.file.Files.size(out));
            pw.flush();
        }
        return 0;
    }

    private LlamaWeights pack(TensorDType dtype, Path staged) throws java.io.IOException {
        LoadedModel lm = ModelLoader.load(model, tokenizer);
        LlamaWeights dense = lm.weights().isPacked() ? lm.weights().unpack() : lm.weights();
        LlamaWeights packed = dense.pack(m);
        Map<String, GgufValue> pass = new LinkedHashMap<>();
        lm.metadata().forEach((k, v) -> { if (v instanceof GgufValue g) pass.put(k, g); });
        PackedGguf.write(staged, packed, lm.tokenizerOrNull(), pass, dtype);
        return packed;
    }
}
