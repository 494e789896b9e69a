package dev.mixprune.cli;

import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.PackReport;
import dev.mixprune.io.TensorDType;
import dev.mixprune.model.LlamaWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Writes a model as a GGUF in another weight type, like llama.cpp's {@code llama-quantize}: every
 * 2-D tensor as Q8_0 or Q4_0 (bit-exact to ggml's reference quantizers; rows that are not whole
 * 32-value blocks as F16), norms F32. llama.cpp loads the result.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true, version = "",
        description = "Write a model as a GGUF with Q8_0 / Q4_0 (or F16 / F32) weights, as llama.cpp's quantizer would.")
public final class QuantizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model (.bin, .gguf or HF directory; a packed GGUF is unpacked)") Path model;
    @Option(names = "--tokenizer", description = "tokenizer for llama2.c models (default: found beside the model); written into the GGUF") Path tokenizer;
    @Option(names = "--out", required = true, description = "output .gguf") Path out;
    @Mixin ComputeOptions compute = new ComputeOptions();
    @Option(names = "--dtype", defaultValue = "q8_0", description = "q8_0, q4_0, f16 or f32 (default ${DEFAULT-VALUE})") String dtype;
    @Spec CommandSpec spec;

    @Override public Integer call() throws Exception {
        TensorDType t = TensorDType.parse(dtype);
        LoadedModel lm = ModelLoader.load(model, tokenizer);
        LlamaWeights w = lm.weights().isPacked() ? lm.weights().unpack() : lm.weights();
        ModelWriter.write(w, lm.tokenizerOrNull(), lm.metadata(), out, ModelFormat.GGUF, t);
        PrintWriter pw = spec.commandLine().getOut();
        PackReport r = PackReport.of(w, t);
        PackReport f32 = PackReport.of(w, TensorDType.F32);
        pw.printf(Locale.ROOT, "quantized %s -> %s (%s)%n", model, out, t.name());
        long odd = w.blocks().stream().flatMap(b -> java.util.Arrays.stream(dev.mixprune.model.LayerKind.values()).map(b::weight))
                .filter(x -> t.quantized() && x.cols() % 32 != 0).count();
        if (odd > 0) pw.printf(Locale.ROOT, "%d linear(s) with rows that are not whole 32-value blocks written as F16%n", odd);
        pw.printf(Locale.ROOT, "weights: %,d bytes (F32: %,d, %.3fx); file size %,d bytes%n", r.storedLinearBytes() + r.otherBytes(),
                f32.storedLinearBytes() + f32.otherBytes(), (double) (r.storedLinearBytes() + r.otherBytes()) / (f32.storedLinearBytes() + f32.otherBytes()), Files.size(out));
        pw.flush();
        return 0;
    }
}
