package dev.mixprune.cli;

import dev.mixprune.UsageException;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.model.Generator;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.Sampler;
import dev.mixprune.tensor.KernelInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * Text generation with llama2.c run.c semantics: [BOS] + encode(prompt) is fed first (prompt tokens
 * forced), then tokens are sampled until -n positions from BOS in total, stopping early at BOS/EOS.
 * stdout gets exactly the decoded text followed by one newline (as run.c prints it); timings go to stderr.
 */
@Command(name = "generate", description = "Generate text from a prompt (greedy at temperature 0).")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model file (.bin, .gguf) or HF directory") Path model;
    @Option(names = "--tokenizer", description = "tokenizer.bin for llama2.c models (default: tok512.bin or tokenizer.bin beside the model)") Path tokenizer;
    @Option(names = "--prompt", defaultValue = "", description = "prompt text (default: none, start from BOS)") String prompt;
    @Option(names = "-n", defaultValue = "256", description = "forward steps from BOS, prompt included (0 or more than the context: the context length; default ${DEFAULT-VALUE})") int steps;
    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default ${DEFAULT-VALUE})") float temperature;
    @Option(names = "--top-p", defaultValue = "0.9", description = "nucleus sampling mass, used when temperature > 0; 0 or 1 = plain sampling (default ${DEFAULT-VALUE})") float topP;
    @Option(names = "--seed", defaultValue = "0", description = "random seed for sampling (default ${DEFAULT-VALUE})") long seed;

    @Mixin ComputeOptions compute = new ComputeOptions();

    private final PrintStream out;
    private final PrintStream stderr;
    private PrintStream err;

    public GenerateCommand() { this(System.out, System.err); }

    GenerateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.stderr = err;
    }

    @Override public Integer call() throws Exception {
        err = compute.quiet() ? new PrintStream(java.io.OutputStream.nullOutputStream()) : stderr;
        UsageException.require(steps >= 0, "-n", "0 (the context length) or more", steps);
        UsageException.require(temperature >= 0, "--temperature", "a value >= 0", temperature);
        UsageException.require(topP >= 0 && topP <= 1, "--top-p", "a value in [0, 1]", topP);
        LoadedModel m = ModelLoader.loadForInference(model, tokenizer);
        err.println(KernelInfo.describe());
        if (KernelInfo.scalarWarning() != null) err.println(KernelInfo.scalarWarning());
        Tokenizer tok = m.requireTokenizer();
        LlamaConfig c = m.weights().config();
        int n = steps;
        if (n <= 0 || n > c.seqLen()) {
            if (n > c.seqLen()) err.println("note: -n " + n + " exceeds the context length " + c.seqLen() + "; using " + c.seqLen());
            n = c.seqLen();
        }
        int[] promptIds = tok.encodeDocument(prompt);
        if (promptIds.length == 0) throw new IllegalArgumentException("--prompt: " + model + "'s tokenizer has no BOS to start from, give a prompt");
        Sampler sampler = new Sampler(temperature, topP, seed);
        Generator g = new Generator(m.weights(), n);
        long t0 = System.nanoTime();
        // The first token is fed, never emitted by the generator: print it unless it is the BOS (a tokenizer without one, e.g. Qwen's, starts on text).
        if (!(tok.specialTokens().hasBos() && promptIds[0] == tok.specialTokens().bos())) {
            byte[] first = tok.decodeBytes(-1, promptIds[0]);
            out.write(first, 0, first.length);
        }
        // llama2.c's rule: BOS or EOS ends the text.
        int[] tokens = g.generate(promptIds, n, sampler, tok.specialTokens()::stopsGeneration, (prev, next) -> {
            byte[] piece = tok.decodeBytes(prev, next);
            out.write(piece, 0, piece.length);
            out.flush();
        });
        out.write('\n');
        out.flush();
        double s = (System.nanoTime() - t0) / 1e9;
        int emitted = tokens.length - 1; // prompt[0] is fed, not emitted
        err.printf(java.util.Locale.ROOT, "emitted %d tokens (forced prompt tokens included) in %.3f s, %.1f tok/s (JIT warm-up included)%n",
                emitted, s, emitted / Math.max(s, 1e-9));
        return 0;
    }
}
