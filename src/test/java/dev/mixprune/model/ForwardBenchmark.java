package dev.mixprune.model;

import dev.mixprune.tokenizer.SentencePieceTokenizer;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.SharedFiles;
import dev.mixprune.eval.Perplexity;
import dev.mixprune.eval.PerplexityResult;
import dev.mixprune.data.Corpus;
import dev.mixprune.data.TokenStream;
import dev.mixprune.io.Llama2cBin;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.io.TokenizerBin;

import java.util.Locale;
import java.util.Random;

/**
 * Throughput of the engine (not a test; see docs/engine.md for the command):
 * stories260K perplexity on valid.txt, and prefill / decode tokens per second on a synthetic model.
 * Args: [dim layers hidden heads kvHeads vocab prefillWindows prefillLen decodeSteps] [--skip-ppl]
 */
public final class ForwardBenchmark {
    public static void main(String[] args) throws Exception {
        boolean skipPpl = java.util.Arrays.asList(args).contains("--skip-ppl");
        boolean onlyPpl = java.util.Arrays.asList(args).contains("--only-ppl");
        int[] a = java.util.Arrays.stream(args).filter(s -> !s.startsWith("--")).mapToInt(Integer::parseInt).toArray();
        int dim = arg(a, 0, 512), layers = arg(a, 1, 8), hidden = arg(a, 2, 1376), heads = arg(a, 3, 8), kv = arg(a, 4, 8);
        int vocab = arg(a, 5, 4096), windows = arg(a, 6, 4), len = arg(a, 7, 256), decode = arg(a, 8, 128);
        System.out.printf("cores %d, java %s%n", Runtime.getRuntime().availableProcessors(), Runtime.version());

        if (!skipPpl) {
            LlamaWeights w = ModelLoader.loadWeights(SharedFiles.stories260KBin());
            Tokenizer tok = SentencePieceTokenizer.llama2c(TokenizerBin.read(SharedFiles.tok512(), 512));
            long t0 = System.nanoTime();
            int[] ids = TokenStream.of(Corpus.read(SharedFiles.tinyStoriesValid()), tok).toArray();
            long t1 = System.nanoTime(), c1 = cpuNanos();
            PerplexityResult r = Perplexity.compute(w, ids, 512);
            long t2 = System.nanoTime(), c2 = cpuNanos();
            System.out.printf(Locale.ROOT, "stories260K valid.txt seqlen 512: ppl %.6f (mean NLL %.6f, %d windows, %d tokens); tokenize %.2f s, forward+NLL %.2f s wall, %.2f s CPU = %.0f tok/s%n",
                    r.ppl(), r.meanNll(), r.windows(), r.tokensScored(), (t1 - t0) / 1e9, (t2 - t1) / 1e9, (c2 - c1) / 1e9, r.windows() * 512.0 / ((t2 - t1) / 1e9));
        }

        if (onlyPpl) return;
        LlamaConfig c = new LlamaConfig(dim, hidden, layers, heads, kv, vocab, Math.max(len, decode), 1e-5f, 10000f, false);
        LlamaWeights w = RandomModels.random(c, 1);
        System.out.printf(Locale.ROOT, "synthetic model: %s, %.1f M parameters%n", c, c.parameterCount() / 1e6);
        Random r = new Random(2);
        int[][] batch = new int[windows][];
        for (int i = 0; i < windows; i++) batch[i] = RandomModels.randomTokens(r, len, vocab);
        LlamaForward.logits(w, batch); // warm-up
        long p0 = System.nanoTime(), pc0 = cpuNanos();
        LlamaForward.logits(w, batch);
        double ps = (System.nanoTime() - p0) / 1e9, pcs = (cpuNanos() - pc0) / 1e9;
        System.out.printf(Locale.ROOT, "prefill %d x %d tokens: %.2f s wall (%.2f s CPU) = %.0f tok/s%n", windows, len, ps, pcs, windows * len / ps);

        Generator g = new Generator(w, decode);
        for (int t = 0; t < Math.min(16, decode); t++) g.step(r.nextInt(vocab), t); // warm-up
        g = new Generator(w, decode);
        long d0 = System.nanoTime(), dc0 = cpuNanos();
        for (int t = 0; t < decode; t++) g.step(r.nextInt(vocab), t);
        double ds = (System.nanoTime() - d0) / 1e9, dcs = (cpuNanos() - dc0) / 1e9;
        double gb = 4.0 * (c.parameterCount() - (long) vocab * dim) / 1e9; // weights read per step (embedding row excluded)
        System.out.printf(Locale.ROOT, "decode %d steps: %.2f s wall (%.2f s CPU) = %.1f tok/s (%.2f GB/s of weights)%n", decode, ds, dcs, decode / ds, gb * decode / ds);
    }

    /** CPU time of the whole process (all threads): on a shared machine wall time alone misleads. */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static int arg(int[] a, int i, int def) { return i < a.length ? a[i] : def; }
}
