package dev.mixprune.bench;

import dev.mixprune.allocate.FisherSensitivity;
import dev.mixprune.allocate.StreamingFisher;
import dev.mixprune.grad.BlockTape;
import dev.mixprune.grad.GradientSink;
import dev.mixprune.grad.RowOps;
import dev.mixprune.grad.TrainingBlock;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.KernelInfo;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Speed of the float32 backward (issue 11): one decoder block of a given shape (default LLaMA-7B:
 * dim 4096, hidden 11008, 32 heads) recorded forward + backward with per-window weight gradients
 * (exactly what {@code sensitivity} runs per block and group), against two ceilings measured in
 * the same JVM: the best {@code Gemm.nt} 2048x4096x4096 rate, and the same GEMM calls as the
 * backward (same shapes and layouts) replayed alone. With {@code --stories MODEL} it also times
 * the streamed float32 Fisher traces against the double-precision reference on that model.
 * <pre>
 * BackwardBench [--dim 4096 --hidden 11008 --heads 32 --kv-heads 32] [--seqs 2 --seqlen 128] [--reps 3]
 *               [--threads N] [--ceiling-seconds 3] [--stories M.bin --windows 8 --window-len 512]
 * </pre>
 */
public final class BackwardBench {
    private BackwardBench() {}

    public static void main(String[] args) throws Exception {
        int dim = 4096, hidden = 11008, heads = 32, kvHeads = -1, seqs = 2, seqLen = 128, reps = 3, windows = 8, windowLen = 512;
        int threads = Runtime.getRuntime().availableProcessors();
        double ceilingSeconds = 3;
        Path stories = null;
        boolean block = true;
        int headVocab = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dim" -> dim = Integer.parseInt(args[++i]);
                case "--hidden" -> hidden = Integer.parseInt(args[++i]);
                case "--heads" -> heads = Integer.parseInt(args[++i]);
                case "--kv-heads" -> kvHeads = Integer.parseInt(args[++i]);
                case "--seqs" -> seqs = Integer.parseInt(args[++i]);
                case "--seqlen" -> seqLen = Integer.parseInt(args[++i]);
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--ceiling-seconds" -> ceilingSeconds = Double.parseDouble(args[++i]);
                case "--stories" -> stories = Path.of(args[++i]);
                case "--windows" -> windows = Integer.parseInt(args[++i]);
                case "--window-len" -> windowLen = Integer.parseInt(args[++i]);
                case "--no-block" -> block = false;
                case "--head-vocab" -> headVocab = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.println(KernelInfo.describe() + "; cpu " + cpuModel() + "; team of " + threads);
        try (ThreadTeam team = new ThreadTeam(threads, "bench")) {
            if (headVocab > 0) head(new LlamaConfig(dim, hidden, 1, heads, kvHeads < 0 ? heads : kvHeads, headVocab, seqLen, 1e-5f, 10000f, false),
                    seqs, seqLen, reps, team);
            else if (block) block(new LlamaConfig(dim, hidden, 1, heads, kvHeads < 0 ? heads : kvHeads, 32000, seqLen, 1e-5f, 10000f, false),
                    seqs, seqLen, reps, ceilingSeconds, team);
        }
        if (stories != null) stories(stories, windows, windowLen, reps, threads);
    }

    /** One block: recorded forward, backward with one weight-gradient group per window, and the ceilings. */
    static void block(LlamaConfig c, int seqs, int T, int reps, double ceilingSeconds, ThreadTeam team) {
        int R = seqs * T;
        BlockWeights w = randomBlock(c, 7);
        Matrix x = random(R, c.dim(), new SplittableRandom(8), 1.0), out = new Matrix(R, c.dim()), dOut = random(R, c.dim(), new SplittableRandom(9), 1e-3);
        BlockTape tape = new BlockTape(c);
        double[] sq = new double[seqs * 7];
        GradientSink squares = (g, kind, grad) -> sq[g * 7 + kind.ordinal()] = RowOps.sumOfSquares(grad.data(), grad.size(), team);
        double p = c.prunablePerBlock(), attn = 2.0 * T * T * c.headSize() * c.nHeads() * seqs; // one T x T x hs product per head and sequence
        double fwdFlops = 2 * R * p + 2 * attn, bwdFlops = 4 * R * p + 5 * attn;
        System.out.printf(Locale.ROOT, "block     dim %d hidden %d heads %d/%d, %d x %d tokens: forward %.1f GFLOP, backward %.1f GFLOP "
                + "(GEMM flops as executed; attention as full T x T squares)%n", c.dim(), c.hiddenDim(), c.nHeads(), c.nKvHeads(), seqs, T, fwdFlops / 1e9, bwdFlops / 1e9);
        double ceil0 = ceiling(ceilingSeconds, team);
        System.out.printf(Locale.ROOT, "ceiling   Gemm.nt 2048x4096x4096: %.1f GFLOP/s (best single product in %.0f s)%n", ceil0, ceilingSeconds);
        double bestF = Double.MAX_VALUE, bestB = Double.MAX_VALUE, bestReplay = Double.MAX_VALUE;
        for (int r = 0; r <= reps; r++) { // r = 0 warms up
            long t0 = System.nanoTime();
            TrainingBlock.forward(c, w, x, seqs, T, tape, out, team);
            long t1 = System.nanoTime();
            Matrix d = dOut.copy();
            long t2 = System.nanoTime();
            TrainingBlock.backward(c, w, tape, d, 1, squares, team);
            long t3 = System.nanoTime();
            double replay = replayGemms(c, w, seqs, T, team);
            if (r > 0) {
                bestF = Math.min(bestF, (t1 - t0) / 1e9);
                bestB = Math.min(bestB, (t3 - t2) / 1e9);
                bestReplay = Math.min(bestReplay, replay);
            }
        }
        double ceil1 = ceiling(ceilingSeconds, team);
        double ceiling = Math.max(ceil0, ceil1);
        double pass = bestF + bestB; // what the streamed backward runs per block and group: recorded forward + backward
        System.out.printf(Locale.ROOT, "forward   %.3f s  %.1f GFLOP/s = %.2f x ceiling%n", bestF, fwdFlops / bestF / 1e9, fwdFlops / bestF / 1e9 / ceiling);
        System.out.printf(Locale.ROOT, "backward  %.3f s  %.1f GFLOP/s = %.2f x ceiling%n", bestB, bwdFlops / bestB / 1e9, bwdFlops / bestB / 1e9 / ceiling);
        System.out.printf(Locale.ROOT, "fwd+bwd   %.3f s  %.1f GFLOP/s = %.2f x ceiling; the same GEMM calls alone take %.3f s (%.2f of the pass)%n",
                pass, (fwdFlops + bwdFlops) / pass / 1e9, (fwdFlops + bwdFlops) / pass / 1e9 / ceiling, bestReplay, bestReplay / pass);
        System.out.printf(Locale.ROOT, "ceiling   re-measured after: %.1f GFLOP/s (ratios use the higher of the two)%n", ceil1);
        System.out.printf(Locale.ROOT, "per token %.2f ms per block for forward + recorded forward + backward (sensitivity's work per block and token: the checkpoint pass adds one forward)%n",
                (pass + bestF) / R * 1e3);
    }

    /**
     * The loss head alone with a large vocabulary (e.g. Llama 3's 128,256): classifier rows are made up
     * on the fly (a deterministic hash), so the JVM never holds the classifier; run it under a small
     * -Xmx to show that the head's memory is bounded by its chunks, not by vocab x dim or rows x vocab.
     */
    static void head(LlamaConfig c, int seqs, int T, int reps, ThreadTeam team) {
        int R = seqs * T, D = c.dim(), V = c.vocabSize();
        Matrix hidden = random(R, D, new SplittableRandom(11), 1.0), dHidden = new Matrix(R, D);
        float[] norm = new float[D];
        java.util.Arrays.fill(norm, 1f);
        SplittableRandom r = new SplittableRandom(12);
        int[][] tokens = new int[seqs][T];
        for (int[] t : tokens) for (int i = 0; i < T; i++) t[i] = r.nextInt(V);
        double[] weights = new double[seqs];
        java.util.Arrays.fill(weights, 1.0);
        dev.mixprune.grad.NllHead.ClassifierRows rows = (first, count) -> {
            float[] out = new float[count * D];
            for (int i = 0; i < out.length; i++) {
                long h = (first * (long) D + i) * 0x9E3779B97F4A7C15L;
                h ^= h >>> 29;
                out[i] = (float) (((h >>> 11) & 0xFFFF) / 65536.0 - 0.5) * 0.05f;
            }
            return out;
        };
        long chunk = dev.mixprune.grad.NllHead.DEFAULT_CHUNK_BYTES;
        System.out.printf(Locale.ROOT, "head      vocab %,d x dim %d, %d x %d tokens: planned head memory %.1f MiB (chunk of %d vocabulary rows); "
                        + "whole classifier in float32 would be %.2f GiB, all logits %.2f GiB; -Xmx %.0f MiB%n",
                V, D, seqs, T, dev.mixprune.grad.NllHead.bytesFor(c, R, chunk) / 1048576.0, dev.mixprune.grad.NllHead.chunkRows(c, chunk),
                4.0 * V * D / (1L << 30), 4.0 * R * V / (1L << 30), Runtime.getRuntime().maxMemory() / 1048576.0);
        for (int rep = 0; rep <= reps; rep++) {
            long t0 = System.nanoTime();
            double[] loss = dev.mixprune.grad.NllHead.lossAndGradient(c, norm, rows, hidden, tokens, weights, dHidden, null, chunk, team);
            System.out.printf(Locale.ROOT, "head      rep %d: %.2f s, mean loss %.4f (ln V = %.4f)%n", rep, (System.nanoTime() - t0) / 1e9, loss[0], Math.log(V));
        }
    }

    /** The backward's and the recorded forward's GEMMs, same shapes and layouts, alone: their time is the ceiling for this work. */
    static double replayGemms(LlamaConfig c, BlockWeights w, int seqs, int T, ThreadTeam team) {
        int R = seqs * T, D = c.dim(), Q = c.qDim(), KV = c.kvDim(), H = c.hiddenDim(), hs = c.headSize();
        Matrix aD = new Matrix(R, D), aQ = new Matrix(R, Q), aKV = new Matrix(R, KV), aH = new Matrix(R, H);
        Matrix oD = new Matrix(R, D), oQ = new Matrix(R, Q), oKV = new Matrix(R, KV), oH = new Matrix(R, H);
        Map<LayerKind, Matrix> grads = new EnumMap<>(LayerKind.class);
        for (LayerKind k : LayerKind.values()) grads.put(k, new Matrix(c.rowsOf(k), c.colsOf(k)));
        Matrix sD = new Matrix(T, D), sQ = new Matrix(T, Q), sKV = new Matrix(T, KV), sH = new Matrix(T, H);
        Matrix qh = new Matrix(T, hs), kt = new Matrix(hs, T), s = new Matrix(T, T), oh = new Matrix(T, hs);
        long t0 = System.nanoTime();
        // recorded forward
        Gemm.nt(aD, w.linear(LayerKind.WQ), oQ, false, team);
        Gemm.nt(aD, w.linear(LayerKind.WK), oKV, false, team);
        Gemm.nt(aD, w.linear(LayerKind.WV), oKV, false, team);
        attentionReplay(seqs * c.nHeads(), 2, qh, kt, s, oh, team);
        Gemm.nt(aQ, w.linear(LayerKind.WO), oD, false, team);
        Gemm.nt(aD, w.linear(LayerKind.W1), oH, false, team);
        Gemm.nt(aD, w.linear(LayerKind.W3), oH, false, team);
        Gemm.nt(aH, w.linear(LayerKind.W2), oD, false, team);
        // backward: input gradients on the whole batch, weight gradients per window
        Gemm.nn(aD, w.linear(LayerKind.W2), oH, false, team);
        Gemm.nn(aH, w.linear(LayerKind.W1), oD, false, team);
        Gemm.nn(aH, w.linear(LayerKind.W3), oD, true, team);
        Gemm.nn(aD, w.linear(LayerKind.WO), oQ, false, team);
        attentionReplay(seqs * c.nHeads(), 5, qh, kt, s, oh, team);
        Gemm.nn(aQ, w.linear(LayerKind.WQ), oD, false, team);
        Gemm.nn(aKV, w.linear(LayerKind.WK), oD, true, team);
        Gemm.nn(aKV, w.linear(LayerKind.WV), oD, true, team);
        for (int g = 0; g < seqs; g++) {
            Gemm.tn(sD, sH, grads.get(LayerKind.W2), false, team);
            Gemm.tn(sH, sD, grads.get(LayerKind.W1), false, team);
            Gemm.tn(sH, sD, grads.get(LayerKind.W3), false, team);
            Gemm.tn(sD, sQ, grads.get(LayerKind.WO), false, team);
            Gemm.tn(sQ, sD, grads.get(LayerKind.WQ), false, team);
            Gemm.tn(sKV, sD, grads.get(LayerKind.WK), false, team);
            Gemm.tn(sKV, sD, grads.get(LayerKind.WV), false, team);
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** products T x T x hs (alternately nn q·kᵀ-shaped and nn p·v-shaped), `perHead` per head, heads in parallel. */
    private static void attentionReplay(int tasks, int perHead, Matrix qh, Matrix kt, Matrix s, Matrix oh, ThreadTeam team) {
        team.forChunks(0, tasks, Math.min(tasks, team.size()), (lo, hi) -> {
            Matrix q = qh.copy(), k = kt.copy(), ss = s.copy(), o = oh.copy();
            for (int t = lo; t < hi; t++) {
                for (int i = 0; i < perHead; i++) {
                    if (i % 2 == 0) Gemm.nn(q, k, ss, false, team);
                    else Gemm.nn(ss, q, o, false, team);
                }
            }
        });
    }

    /** Streamed float32 Fisher traces against the double reference on a real model, alternating, best of reps. */
    static void stories(Path model, int windows, int T, int reps, int threads) throws Exception {
        LlamaWeights w = ModelLoader.loadWeights(model);
        SplittableRandom r = new SplittableRandom(5);
        int[][] win = new int[windows][T];
        for (int[] x : win) for (int t = 0; t < T; t++) x[t] = r.nextInt(w.config().vocabSize());
        StreamingFisher.Options o = StreamingFisher.Options.defaults(Path.of(System.getProperty("java.io.tmpdir"))).withThreads(threads);
        double bestF = Double.MAX_VALUE, bestD = Double.MAX_VALUE, cpuF = 0, cpuD = 0;
        for (int rep = 0; rep <= reps; rep++) { // rep 0 warms up both
            double c0 = cpuSeconds();
            long t0 = System.nanoTime();
            StreamingFisher.compute(new WeightsBlockSource(w), win, "", o, null);
            long t1 = System.nanoTime();
            double c1 = cpuSeconds();
            FisherSensitivity.compute(w, win, null, threads, "");
            long t2 = System.nanoTime();
            double c2 = cpuSeconds();
            if (rep > 0) {
                if ((t1 - t0) / 1e9 < bestF) { bestF = (t1 - t0) / 1e9; cpuF = c1 - c0; }
                if ((t2 - t1) / 1e9 < bestD) { bestD = (t2 - t1) / 1e9; cpuD = c2 - c1; }
            }
        }
        System.out.printf(Locale.ROOT, "stories   %s, %d windows x %d tokens, %d threads: float32 streamed %.3f s (cpu %.2f s), double reference %.3f s (cpu %.2f s): "
                + "%.2fx faster (cpu %.2fx)%n", model.getFileName(), windows, T, threads, bestF, cpuF, bestD, cpuD, bestD / bestF, cpuD / cpuF);
    }

    private static double ceiling(double seconds, ThreadTeam team) {
        Matrix a = random(2048, 4096, new SplittableRandom(2), 1), b = random(4096, 4096, new SplittableRandom(3), 1);
        Matrix c = new Matrix(2048, 4096);
        Gemm.nt(a, b, c, false, team);
        double best = 0;
        long t0 = System.nanoTime();
        do {
            long t = System.nanoTime();
            Gemm.nt(a, b, c, false, team);
            best = Math.max(best, 2.0 * 2048 * 4096 * 4096 / ((System.nanoTime() - t) / 1e9) / 1e9);
        } while (System.nanoTime() - t0 < seconds * 1e9);
        return best;
    }

    static BlockWeights randomBlock(LlamaConfig c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<LayerKind, Matrix> lin = new EnumMap<>(LayerKind.class);
        for (LayerKind k : LayerKind.values()) lin.put(k, random(c.rowsOf(k), c.colsOf(k), r, 1.0 / Math.sqrt(c.colsOf(k))));
        float[] ones = new float[c.dim()];
        java.util.Arrays.fill(ones, 1f);
        return new BlockWeights(ones, ones.clone(), lin);
    }

    private static Matrix random(int rows, int cols, SplittableRandom r, double scale) {
        Matrix m = new Matrix(rows, cols);
        float[] d = m.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) ((r.nextDouble() * 2 - 1) * scale * 1.7);
        return m;
    }

    private static double cpuSeconds() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1e9 : Double.NaN;
    }

    static String cpuModel() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).strip();
            }
        } catch (java.io.IOException ignored) {
            // not Linux: say nothing
        }
        return "unknown";
    }
}
