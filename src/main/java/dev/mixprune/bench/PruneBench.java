package dev.mixprune.bench;

import dev.mixprune.model.ActivationCapture;
import dev.mixprune.model.BlockForward;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaForward;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.prune.BlockRunner;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.Propagation;
import dev.mixprune.prune.PruneListener;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.prune.PruneResult;
import dev.mixprune.prune.SequentialPruner;
import dev.mixprune.prune.SparseGptOptions;
import dev.mixprune.prune.SparsityPlan;
import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.KernelInfo;
import dev.mixprune.tensor.Matrix;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Times the sequential pruning of ONE synthetic LLaMA-shaped block per method (issue 3,
 * "Performance"), split into phases, beside the GEMM ceiling measured in the same run
 * ({@code Gemm.nt} of a 2048x4096 by (4096x4096)^T product):
 * <ul>
 *   <li>forward: the block's calibration forward (its GEMMs run on {@link Gemm#nt});</li>
 *   <li>stats: the capture callbacks, i.e. Wanda's scaler rows and, for SparseGPT, the Gram
 *       matrices X^T X ({@link Gemm#tn});</li>
 *   <li>prune: mask selection and, for SparseGPT, per layer the factorization of H (double,
 *       blocked tensor.Cholesky) and the column sweep (OBS updates, lazy GEMM per 128 columns);</li>
 *   <li>re-run: the forward of the pruned block that feeds the next block (timed here by the
 *       bench because the pruner skips it for the last block).</li>
 * </ul>
 * It drives the real {@link SequentialPruner}; the timing comes from a wrapper around the block
 * forward and its capture callback and from SparseGPT's phase-time hook.
 *
 * <p>Arguments (defaults: the 7B block): {@code --dim 4096 --hidden 11008 --heads 32
 * --seqs 128 --seqlen 2048 --chunk 16 --methods magnitude,wanda,sparsegpt --pattern 2:4|0.5
 * --ceiling-seconds 3}. Forward and statistics scale linearly in the number of sequences and the
 * pruning phase does not depend on it, so a run with few {@code --seqs} extrapolates to 128
 * (printed as "extrapolated to 128 seqs").
 */
public final class PruneBench {
    private PruneBench() {}

    public static void main(String[] args) {
        int dim = 4096, hidden = 11008, heads = 32, seqs = 128, seqLen = 2048, chunk = 16;
        double ceilingSeconds = 3;
        String methods = "magnitude,wanda,sparsegpt";
        Pattern pattern = new Pattern.NM(2, 4);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dim" -> dim = Integer.parseInt(args[++i]);
                case "--hidden" -> hidden = Integer.parseInt(args[++i]);
                case "--heads" -> heads = Integer.parseInt(args[++i]);
                case "--seqs" -> seqs = Integer.parseInt(args[++i]);
                case "--seqlen" -> seqLen = Integer.parseInt(args[++i]);
                case "--chunk" -> chunk = Integer.parseInt(args[++i]);
                case "--methods" -> methods = args[++i];
                case "--pattern" -> pattern = args[i + 1].contains(":") ? Pattern.parse(args[++i]) : new Pattern.Unstructured(Double.parseDouble(args[++i]));
                case "--ceiling-seconds" -> ceilingSeconds = Double.parseDouble(args[++i]);
                case "--gram" -> {
                    gramComparison(Integer.parseInt(args[++i]), new int[]{4096, 11008});
                    return;
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        System.out.println("# " + KernelInfo.describe());
        KernelInfo.warnIfScalar();
        LlamaConfig c = new LlamaConfig(dim, hidden, 1, heads, heads, 256, seqLen, 1e-5f, 10000f, true);
        long tokens = (long) seqs * seqLen;
        int chunkSeqs = Math.min(chunk, seqs);
        System.out.printf(Locale.ROOT, "# block dim %d hidden %d heads %d; %d x %d calibration tokens in chunks of %d sequences; pattern %s; max heap %.1f GiB%n",
                dim, hidden, heads, seqs, seqLen, chunkSeqs, pattern.text(), Runtime.getRuntime().maxMemory() / (double) (1L << 30));
        System.out.printf(Locale.ROOT, "# memory plan: residual stream %.2f GiB (%d x %d x %d floats); per chunk: FFN intermediate %.2f GiB (x2: gate, up), attention-side %.2f GiB (x4: a, q, k, v); block weights %.2f GiB; SparseGPT widest Hessian %.2f GiB (float Gram) + 3 x %.2f GiB (double H, factor, U)%n",
                gib(tokens * dim * 4), seqs, seqLen, dim, gib((long) chunkSeqs * seqLen * hidden * 4), gib((long) chunkSeqs * seqLen * dim * 4),
                gib(c.prunablePerBlock() * 4), gib((long) hidden * hidden * 4), gib((long) hidden * hidden * 8));

        double ceiling = gemmCeiling(2048, 4096, 4096, ceilingSeconds);
        System.out.printf(Locale.ROOT, "ceiling   Gemm.nt 2048x4096x4096: %.1f GFLOP/s (best single product in %.0f s)%n", ceiling, ceilingSeconds);

        List<int[]> windows = randomWindows(c, seqs, seqLen, 1);
        // Flops actually executed (Gemm computes full products, also for the symmetric X^T X).
        double forwardFlops = 2.0 * tokens * c.prunablePerBlock() + 2.0 * seqs * (double) seqLen * seqLen * dim; // + QK^T and AV, causal half
        double gramFlops = 2.0 * tokens * (3.0 * dim * dim + (double) hidden * hidden);
        for (String name : methods.split(",")) {
            PruneMethod m = PruneMethod.parse(name);
            LlamaWeights w = model(c, 7);
            TimedRunner runner = new TimedRunner();
            List<String> sgpt = new ArrayList<>();
            double[] sgptTotals = new double[2];
            SparseGptOptions sgo = SparseGptOptions.defaults().withPhaseTimes((rows, cols, fs, ss) -> {
                sgptTotals[0] += fs;
                sgptTotals[1] += ss;
                double sweepFlops = (double) rows * cols * cols;   // lazy updates: sum over blocks of 2 rows 128 rest
                // The factor is computed once per distinct input; the other layers reading it reuse it.
                String factor = fs < 0.05 ? "factor shared" : String.format(Locale.ROOT, "factor %.2f s (%.1f GFLOP/s double)",
                        fs, 2.0 * cols * cols * cols / 3 / fs / 1e9);
                sgpt.add(String.format(Locale.ROOT, "%dx%d %s, sweep %.2f s (%.1f GFLOP/s)", rows, cols, factor, ss, sweepFlops / ss / 1e9));
            });
            SequentialPruner p = new SequentialPruner(new SequentialPruner.Options(m, Propagation.PRUNED, false, chunk, sgo),
                    runner, PruneListener.NONE);
            double cpu0 = cpuSeconds();
            long t0 = System.nanoTime();
            PruneResult res = p.run(w, SparsityPlan.uniform(c, pattern), windows);
            double total = (System.nanoTime() - t0) / 1e9;
            PruneResult.BlockReport b = res.blocks().get(0);
            double fwd = runner.forwardSeconds - runner.captureSeconds, stats = runner.captureSeconds;

            double rerun = 0;
            if (m.needsActivations()) {
                long r0 = System.nanoTime();
                for (int s = 0; s < seqs; s += chunk) {
                    int n = Math.min(chunk, seqs - s);
                    BlockForward.forward(c, w.block(0), 0, LlamaForward.embed(w, windows.subList(s, s + n).toArray(int[][]::new)), n, seqLen, ActivationCapture.NONE);
                }
                rerun = (System.nanoTime() - r0) / 1e9;
            }
            double cpu = cpuSeconds() - cpu0;
            System.out.printf(Locale.ROOT, "%-9s sparsity %.4f; forward %.2f s%s; stats %.2f s%s; prune %.2f s; re-run %.2f s%s; pruner total %.2f s, cpu %.2f s%n",
                    m.cliName(), res.overallSparsity(),
                    fwd, m.needsActivations() ? rate(forwardFlops, fwd, ceiling) : "",
                    stats, m.needsHessian() ? rate(gramFlops, stats, ceiling) : "",
                    b.pruneSeconds(), rerun, m.needsActivations() ? rate(forwardFlops, rerun, ceiling) : "",
                    total, cpu);
            if (m.needsActivations() && seqs < 128) {
                double scale = 128.0 / seqs;
                System.out.printf(Locale.ROOT, "%-9s extrapolated to 128 x %d tokens: forward %.0f s + stats %.0f s + prune %.0f s + re-run %.0f s = %.0f s%n",
                        m.cliName(), seqLen, fwd * scale, stats * scale, b.pruneSeconds(), rerun * scale,
                        (fwd + stats + rerun) * scale + b.pruneSeconds());
            }
            double again = gemmCeiling(2048, 4096, 4096, ceilingSeconds);
            System.out.printf(Locale.ROOT, "%-9s ceiling re-measured after it: %.1f GFLOP/s (the machine is shared: compare the two)%n", m.cliName(), again);
            if (!sgpt.isEmpty()) {
                System.out.printf(Locale.ROOT, "%-9s factor total %.2f s, sweep total %.2f s; per layer (rows x cols, in order wq wk wv wo w1 w2 w3):%n          %s%n",
                        m.cliName(), sgptTotals[0], sgptTotals[1], String.join("\n          ", sgpt));
            }
        }
    }

    /**
     * {@code --gram TOKENS}: X^T X of a TOKENS x in random matrix as one full Gemm.tn product and
     * as InputStats' lower-panel products + mirror, alternately in one JVM (best of 3), for the
     * 7B block's input widths.
     */
    private static void gramComparison(int tokens, int[] widths) {
        System.out.println("# " + KernelInfo.describe());
        for (int in : widths) {
            Matrix x = random(tokens, in, new SplittableRandom(in), 1);
            double full = Double.MAX_VALUE, sym = Double.MAX_VALUE, diff = 0;
            for (int rep = 0; rep < 3; rep++) {
                Matrix g1 = new Matrix(in, in), g2 = new Matrix(in, in);
                long t = System.nanoTime();
                Gemm.tn(x, x, g1, true);
                full = Math.min(full, (System.nanoTime() - t) / 1e9);
                t = System.nanoTime();
                dev.mixprune.prune.InputStats.addGram(x, g2);
                sym = Math.min(sym, (System.nanoTime() - t) / 1e9);
                for (int i = 0; i < g1.size(); i++) diff = Math.max(diff, Math.abs(g1.data()[i] - g2.data()[i]));
            }
            System.out.printf(Locale.ROOT, "gram      %d x %d: full Gemm.tn %.2f s (%.1f GFLOP/s), lower panels + mirror %.2f s: %.2f x the time; max |difference| %.3g%n",
                    tokens, in, full, 2.0 * tokens * in * in / full / 1e9, sym, sym / full, diff);
        }
    }

    private static String rate(double flops, double seconds, double ceiling) {
        double g = flops / seconds / 1e9;
        return String.format(Locale.ROOT, " (%.1f GFLOP/s = %.2f x ceiling)", g, g / ceiling);
    }

    private static double gib(long bytes) { return bytes / (double) (1L << 30); }

    /** Wraps the block forward: total time of calibration forwards and the time spent inside the capture callback. */
    private static final class TimedRunner implements BlockRunner {
        double forwardSeconds, captureSeconds;

        @Override
        public Matrix forward(LlamaConfig c, BlockWeights w, int blockIndex, Matrix x, int nSeq, int seqLen, ActivationCapture capture) {
            ActivationCapture timed = (blk, group, input) -> {
                long t = System.nanoTime();
                capture.capture(blk, group, input);
                captureSeconds += (System.nanoTime() - t) / 1e9;
            };
            long t = System.nanoTime();
            Matrix out = BlockRunner.LLAMA.forward(c, w, blockIndex, x, nSeq, seqLen, timed);
            forwardSeconds += (System.nanoTime() - t) / 1e9;
            return out;
        }
    }

    /** Process CPU time: on a shared machine, wall time alone says little. */
    private static double cpuSeconds() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1e9 : Double.NaN;
    }

    static List<int[]> randomWindows(LlamaConfig c, int seqs, int seqLen, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<int[]> windows = new ArrayList<>();
        for (int s = 0; s < seqs; s++) {
            int[] w = new int[seqLen];
            for (int t = 0; t < seqLen; t++) w[t] = r.nextInt(c.vocabSize());
            windows.add(w);
        }
        return windows;
    }

    /** A one-block model with uniform random weights scaled by 1/sqrt(fan-in) and unit norms. */
    static LlamaWeights model(LlamaConfig c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<LayerKind, Matrix> lin = new EnumMap<>(LayerKind.class);
        for (LayerKind k : LayerKind.values()) lin.put(k, random(c.rowsOf(k), c.colsOf(k), r, 1.0 / Math.sqrt(c.colsOf(k))));
        float[] ones = new float[c.dim()];
        java.util.Arrays.fill(ones, 1f);
        BlockWeights b = new BlockWeights(ones, ones.clone(), lin);
        return new LlamaWeights(c, random(c.vocabSize(), c.dim(), r, 1.0), List.of(b), ones.clone(), null);
    }

    private static Matrix random(int rows, int cols, SplittableRandom r, double scale) {
        Matrix m = new Matrix(rows, cols);
        float[] d = m.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) ((r.nextDouble() * 2 - 1) * scale * 1.7);
        return m;
    }

    /**
     * Best single-product rate of Gemm.nt over the time budget: on a shared machine the best
     * repetition is the closest to what the kernel can do, and the phases are compared with it.
     */
    private static double gemmCeiling(int n, int k, int m, double seconds) {
        Matrix a = random(n, k, new SplittableRandom(2), 1), b = random(m, k, new SplittableRandom(3), 1);
        Matrix c = new Matrix(n, m);
        Gemm.nt(a, b, c, false);   // warm-up
        double best = 0;
        long t0 = System.nanoTime();
        do {
            long t = System.nanoTime();
            Gemm.nt(a, b, c, false);
            best = Math.max(best, 2.0 * n * k * m / ((System.nanoTime() - t) / 1e9) / 1e9);
        } while (System.nanoTime() - t0 < seconds * 1e9);
        return best;
    }
}
