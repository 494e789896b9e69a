package dev.mixprune.bench;

import dev.mixprune.data.Corpus;
import dev.mixprune.data.TokenStream;
import dev.mixprune.eval.Perplexity;
import dev.mixprune.eval.PerplexityResult;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.model.Generator;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Perplexity (protocol P windows) of one model computed twice in one run: by the batched forward
 * ({@link Perplexity#compute}, what {@code ppl} prints: GEMMs on float inputs) and by the decode
 * path ({@link Generator#step} token by token with the KV cache, which is what generation runs:
 * GEMVs, where layers with 8-bit values quantize their input to int8 per block of 32). The
 * difference is what the decode path's input quantization costs.
 * <p>Usage: {@code DecodePpl MODEL TEXT [--seqlen 512] [--limit N]}.
 */
public final class DecodePpl {
    private DecodePpl() {}

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]), text = Path.of(args[1]);
        int seqLen = 512, limit = Integer.MAX_VALUE;
        for (int i = 2; i < args.length; i += 2) {
            switch (args[i]) {
                case "--seqlen" -> seqLen = Integer.parseInt(args[i + 1]);
                case "--limit" -> limit = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        LoadedModel m = ModelLoader.loadForInference(model, null);
        LlamaWeights w = m.weights();
        int[] ids = TokenStream.of(Corpus.read(text), m.requireTokenizer()).toArray();
        if ((long) limit * seqLen < ids.length) ids = java.util.Arrays.copyOf(ids, limit * seqLen);
        PerplexityResult batched = Perplexity.compute(w, ids, seqLen);
        int[][] windows = Perplexity.windows(ids, seqLen);
        double[] nll = new double[windows.length];
        int vocab = w.config().vocabSize();
        ThreadTeam.shared().forEach(windows.length, i -> {
            Matrix logits = Generator.decodeAll(w, windows[i]);
            nll[i] = Perplexity.windowMeanNll(logits, 0, windows[i], vocab);
        });
        double sum = 0;
        for (double v : nll) sum += v;
        double decode = Math.exp(sum / windows.length);
        System.out.printf(Locale.ROOT, "%s windows=%d batched_ppl=%.4f decode_ppl=%.4f decode/batched=%+.3f%%%n",
                model.getFileName(), windows.length, batched.ppl(), decode, 100 * (decode / batched.ppl() - 1));
    }
}
