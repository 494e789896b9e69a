package dev.mixprune.bench;

import dev.mixprune.io.ModelLoader;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.Generator;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.Linear;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.KernelInfo;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where a decode step's time goes at model level: the whole step ({@link Generator#step}) against
 * the same step's matrix-vector products alone (every linear of every block and the head, on the
 * model's own weights, so memory traffic is the real one; packed 8-bit layers quantize their input
 * as in the step), and those products
 * per layer kind. The difference between the step and its products is attention, norms, RoPE,
 * residual adds and SiLU. Best of R rounds of D tokens each.
 * <p>Usage: {@code DecodeProfile MODEL.gguf [--plans dense,2:4-q8] [--decode 16] [--rounds 3]}
 * (plans as in {@link DecodeBench}); threads from {@code -Dmixprune.threads}.
 */
public final class DecodeProfile {
    private DecodeProfile() {}

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        String plans = "dense,2:4-q8";
        int decode = 16, rounds = 3;
        for (int i = 1; i < args.length; i += 2) {
            switch (args[i]) {
                case "--plans" -> plans = args[i + 1];
                case "--decode" -> decode = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.println("# " + KernelInfo.describe());
        LlamaWeights dense = ModelLoader.load(model, null).weights();
        for (String plan : plans.split(",")) {
            boolean q8 = plan.endsWith("-q8");
            String base = q8 ? plan.substring(0, plan.length() - 3) : plan;
            LlamaWeights w = base.equals("dense") ? dense : DecodeBench.packed(dense, base);
            if (q8) w = w.quantized8();
            profile(plan, w, decode, rounds);
        }
    }

    private static void profile(String plan, LlamaWeights w, int decode, int rounds) {
        LlamaConfig c = w.config();
        float[] xd = new float[c.dim()], xh = new float[c.hiddenDim()], q = new float[c.qDim()], kv = new float[c.kvDim()];
        float[] y = new float[c.dim()], h1 = new float[c.hiddenDim()], h2 = new float[c.hiddenDim()], logits = new float[c.vocabSize()];
        java.util.Arrays.fill(xd, 0.01f);
        java.util.Arrays.fill(xh, 0.01f);
        double bestStep = Double.MAX_VALUE, bestProducts = Double.MAX_VALUE;
        Map<LayerKind, Double> bestKind = new EnumMap<>(LayerKind.class);
        double bestHead = Double.MAX_VALUE;
        for (int r = 0; r <= rounds; r++) { // round 0 warms up
            Generator g = new Generator(w, decode + 1);
            long t0 = System.nanoTime();
            int token = 1;
            for (int i = 0; i < decode; i++) token = argmax(g.step(token, i));
            double step = (System.nanoTime() - t0) / 1e9 / decode;

            Map<LayerKind, Long> kind = new EnumMap<>(LayerKind.class);
            // Every product of a block (enum order: w1, w2, w3 for the FFN), each with an input and output of its shape.
            Map<LayerKind, float[][]> io = new EnumMap<>(LayerKind.class);
            io.put(LayerKind.WQ, new float[][]{xd, q});
            io.put(LayerKind.WK, new float[][]{xd, kv});
            io.put(LayerKind.WV, new float[][]{xd, kv});
            io.put(LayerKind.WO, new float[][]{q, y});
            io.put(LayerKind.W1, new float[][]{xd, h1});
            io.put(LayerKind.W3, new float[][]{xd, h2});
            io.put(LayerKind.W2, new float[][]{xh, y});
            long head = 0;
            long p0 = System.nanoTime();
            for (int i = 0; i < decode; i++) {
                for (BlockWeights b : w.blocks()) {
                    for (var e : io.entrySet()) {
                        long a = System.nanoTime();
                        Linear.gemv(b.weight(e.getKey()), e.getValue()[0], e.getValue()[1]);
                        kind.merge(e.getKey(), System.nanoTime() - a, Long::sum);
                    }
                }
                long h0 = System.nanoTime();
                Linear.gemv(w.head(), xd, logits);
                head += System.nanoTime() - h0;
            }
            double products = (System.nanoTime() - p0) / 1e9 / decode;
            if (r == 0) continue;
            bestStep = Math.min(bestStep, step);
            bestProducts = Math.min(bestProducts, products);
            for (var e : kind.entrySet()) bestKind.merge(e.getKey(), e.getValue() / 1e9 / decode, Math::min);
            bestHead = Math.min(bestHead, head / 1e9 / decode);
        }
        StringBuilder sb = new StringBuilder();
        for (var e : bestKind.entrySet()) sb.append(String.format(Locale.ROOT, " %s=%.2f", e.getKey().name().toLowerCase(Locale.ROOT), e.getValue() * 1e3));
        System.out.printf(Locale.ROOT, "%-8s step_ms=%.2f products_ms=%.2f other_ms=%.2f (%.0f%%) head_ms=%.2f per-kind_ms:%s%n",
                plan, bestStep * 1e3, bestProducts * 1e3, (bestStep - bestProducts) * 1e3, 100 * (bestStep - bestProducts) / bestStep, bestHead * 1e3, sb);
        System.out.flush();
    }

    private static int argmax(float[] l) {
        int best = 0;
        for (int i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
        return best;
    }
}
