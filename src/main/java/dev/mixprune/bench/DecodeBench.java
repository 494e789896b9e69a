package dev.mixprune.bench;

import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.PackReport;
import dev.mixprune.io.TensorDType;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.Generator;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.sparse.NmMasks;
import dev.mixprune.sparse.PackedNM;
import dev.mixprune.tensor.KernelInfo;
import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Model-level decode and prefill speed of a dense model and packed N:M variants of it, one after
 * the other in one JVM: prefill = one batched forward of P prompt tokens ({@link Generator#prefill}),
 * decode = D single-token steps with the KV cache after it (greedy). Each plan is warmed up first
 * (JIT), then timed R times (best kept). Plans: {@code dense}, {@code N:M} (every linear magnitude-
 * pruned to N:M and packed), {@code mixed} (blocks in the first quarter 3:8, middle half 2:8, last
 * quarter 1:8: 75% on average, the shape of a sensitivity-driven plan); any plan with the suffix
 * {@code -q8} runs with 8-bit weights ({@link LlamaWeights#quantized8}: dense linears and the
 * classifier as Q8_0, packed layers with 8-bit kept values). "bytes" is the model as a GGUF of that
 * value type holds it. Every run starts after a full collection ({@code System.gc()}), so that the
 * garbage of earlier plans is not collected inside a timed run.
 * <p>Usage: {@code DecodeBench MODEL.gguf [--plans dense,2:4,2:8,mixed] [--prefill 64] [--decode 16] [--rounds 2]}.
 * Prints one line per plan: {@code mixprune PLAN bytes=.. prefill_tps=.. decode_tps=..}.
 */
public final class DecodeBench {
    private DecodeBench() {}

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        String plans = "dense,2:4,2:8,mixed";
        int prefill = 64, decode = 16, rounds = 2;
        for (int i = 1; i < args.length; i += 2) {
            switch (args[i]) {
                case "--plans" -> plans = args[i + 1];
                case "--prefill" -> prefill = Integer.parseInt(args[i + 1]);
                case "--decode" -> decode = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.println("# " + KernelInfo.describe());
        LlamaWeights dense = ModelLoader.load(model, null).weights();
        int vocab = dense.config().vocabSize();
        SplittableRandom rnd = new SplittableRandom(7);
        int[] prompt = new int[prefill];
        prompt[0] = 1;
        for (int i = 1; i < prefill; i++) prompt[i] = 3 + rnd.nextInt(vocab - 3);
        for (String plan : plans.split(",")) {
            boolean q8 = plan.endsWith("-q8");
            String base = q8 ? plan.substring(0, plan.length() - 3) : plan;
            LlamaWeights w = base.equals("dense") ? dense : packed(dense, base);
            if (q8) w = w.quantized8();
            PackReport report = PackReport.of(w, q8 ? TensorDType.Q8_0 : TensorDType.F32);
            long bytes = report.storedLinearBytes() + report.otherBytes();
            run(w, prompt, Math.min(4, decode)); // warm-up (JIT)
            double bestPrefill = Double.MAX_VALUE, bestDecode = Double.MAX_VALUE;
            for (int r = 0; r < rounds; r++) {
                double[] t = run(w, prompt, decode);
                bestPrefill = Math.min(bestPrefill, t[0]);
                bestDecode = Math.min(bestDecode, t[1]);
            }
            System.out.printf(Locale.ROOT, "mixprune %s bytes=%d prefill_tps=%.2f decode_tps=%.3f%n", plan, bytes, prefill / bestPrefill, decode / bestDecode);
            System.out.flush();
        }
    }

    /** Seconds for the prefill of {@code prompt} and for {@code decode} greedy steps after it. */
    static double[] run(LlamaWeights w, int[] prompt, int decode) {
        // The previous plan's weights (GBs) are garbage by now: collected here, not inside the timed prefill. Without
        // this, full collections of 40-400 ms landed in 1 s prefills (measured with -Xlog:gc, session 9). Collections
        // of the run's own garbage stay in the timing.
        System.gc();
        Generator g = new Generator(w, prompt.length + decode);
        long t0 = System.nanoTime();
        float[] logits = g.prefill(prompt);
        long t1 = System.nanoTime();
        int token = argmax(logits);
        for (int i = 0; i < decode; i++) token = argmax(g.step(token, prompt.length + i));
        long t2 = System.nanoTime();
        return new double[]{(t1 - t0) / 1e9, (t2 - t1) / 1e9};
    }

    private static int argmax(float[] l) {
        int best = 0;
        for (int i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
        return best;
    }

    /** N:M of one layer under a plan. */
    static int[] nm(String plan, int block, int nBlocks) {
        if (plan.equals("mixed")) {
            int n = block < nBlocks / 4 ? 3 : block >= nBlocks - nBlocks / 4 ? 1 : 2;
            return new int[]{n, 8};
        }
        String[] p = plan.split(":");
        return new int[]{Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    }

    /** Every linear of {@code dense} magnitude-pruned per the plan and packed (layers in parallel). */
    static LlamaWeights packed(LlamaWeights dense, String plan) {
        int nb = dense.config().nLayers();
        List<LayerId> ids = LayerId.all(dense.config());
        LinearWeight[] out = new LinearWeight[ids.size()];
        IntStream.range(0, ids.size()).parallel().forEach(i -> {
            LayerId id = ids.get(i);
            int[] nm = nm(plan, id.block(), nb);
            Matrix masked = NmMasks.magnitude(dense.linear(id), nm[0], nm[1]);
            out[i] = PackedNM.pack(masked, nm[0], nm[1]);
        });
        List<BlockWeights> blocks = new ArrayList<>();
        for (int l = 0; l < nb; l++) {
            EnumMap<LayerKind, LinearWeight> lin = new EnumMap<>(LayerKind.class);
            for (int i = 0; i < ids.size(); i++) if (ids.get(i).block() == l) lin.put(ids.get(i).kind(), out[i]);
            BlockWeights b = dense.block(l);
            blocks.add(new BlockWeights(b.attNorm(), b.ffnNorm(), lin, l));
        }
        return new LlamaWeights(dense.config(), dense.tokenEmbedding(), blocks, dense.finalNorm(), dense.classifier());
    }
}
