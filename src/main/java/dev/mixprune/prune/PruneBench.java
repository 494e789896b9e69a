package dev.mixprune.prune;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
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
 * Times sequential pruning of ONE synthetic LLaMA-shaped block per method, beside the GEMM ceiling
 * measured in the same run (issue 3, "Performance"). Arguments (defaults are the LLaMA-7B block of
 * the issue; scale them down on a busy machine):
 * {@code --dim 4096 --hidden 11008 --heads 32 --seqs 128 --seqlen 2048 --methods magnitude,wanda,sparsegpt --pattern 2:4}.
 * Prints one line per method: seconds for statistics (calibration forward + X^T X), pruning and
 * re-run, the effective GFLOP/s of the statistics pass and its ratio to the GEMM ceiling.
 */
public final class PruneBench {
    private PruneBench() {}

    public static void main(String[] args) {
        int dim = 4096, hidden = 11008, heads = 32, seqs = 128, seqLen = 2048;
        String methods = "magnitude,wanda,sparsegpt";
        Pattern pattern = new Pattern.NM(2, 4);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dim" -> dim = Integer.parseInt(args[++i]);
                case "--hidden" -> hidden = Integer.parseInt(args[++i]);
                case "--heads" -> heads = Integer.parseInt(args[++i]);
                case "--seqs" -> seqs = Integer.parseInt(args[++i]);
                case "--seqlen" -> seqLen = Integer.parseInt(args[++i]);
                case "--methods" -> methods = args[++i];
                case "--pattern" -> pattern = Pattern.parse(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        System.out.println("# " + KernelInfo.describe());
        LlamaConfig c = new LlamaConfig(dim, hidden, 1, heads, heads, 256, seqLen, 1e-5f, 10000f, true);
        long tokens = (long) seqs * seqLen;
        double ceiling = gemmCeiling(Math.min(16, seqs) * seqLen, dim, hidden);
        System.out.printf(Locale.ROOT, "# block dim %d hidden %d, %d x %d calibration tokens, pattern %s; GEMM ceiling %.1f GFLOP/s (nt %dx%dx%d)%n",
                dim, hidden, seqs, seqLen, pattern.text(), ceiling, Math.min(16, seqs) * seqLen, dim, hidden);
        SplittableRandom r = new SplittableRandom(1);
        List<int[]> windows = new ArrayList<>();
        for (int s = 0; s < seqs; s++) {
            int[] w = new int[seqLen];
            for (int t = 0; t < seqLen; t++) w[t] = r.nextInt(c.vocabSize());
            windows.add(w);
        }
        double linearFlops = 2.0 * tokens * c.prunablePerBlock();
        double attnFlops = 4.0 * seqs * (double) seqLen * seqLen / 2 * dim;
        double gramFlops = 2.0 * tokens * (3.0 * dim * dim + (double) hidden * hidden) / 2;   // X^T X of the 4 inputs (symmetric half)
        for (String name : methods.split(",")) {
            PruneMethod m = PruneMethod.parse(name);
            LlamaWeights w = model(c, 7);
            SequentialPruner p = new SequentialPruner(SequentialPruner.Options.of(m).withPropagation(Propagation.PRUNED),
                    BlockRunner.LLAMA, PruneListener.NONE);
            // One block: the re-run for propagation is skipped (it is the last block).
            long t0 = System.nanoTime();
            double cpu0 = cpuSeconds();
            PruneResult res = p.run(w, SparsityPlan.uniform(c, pattern), windows);
            double total = (System.nanoTime() - t0) / 1e9;
            PruneResult.BlockReport b = res.blocks().get(0);
            double statsFlops = linearFlops + attnFlops + (m.needsHessian() ? 2 * gramFlops : 0);
            String rate = "no data needed";
            if (m.needsActivations()) {
                double gflops = statsFlops / b.statsSeconds() / 1e9;
                rate = String.format(Locale.ROOT, "%.1f GFLOP/s = %.2f x ceiling", gflops, gflops / ceiling);
            }
            System.out.printf(Locale.ROOT, "%-9s stats %.2f s (%s), prune %.2f s, total %.2f s, cpu %.2f s, sparsity %.4f%n",
                    m.cliName(), b.statsSeconds(), rate, b.pruneSeconds(), total, cpuSeconds() - cpu0, res.overallSparsity());
        }
    }

    /** Process CPU time: on a shared machine, wall time alone says little. */
    private static double cpuSeconds() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1e9 : Double.NaN;
    }

    private static LlamaWeights model(LlamaConfig c, long seed) {
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

    private static double gemmCeiling(int n, int k, int m) {
        Matrix a = random(n, k, new SplittableRandom(2), 1), b = random(m, k, new SplittableRandom(3), 1);
        Gemm.nt(a, b);   // warm-up
        long t0 = System.nanoTime();
        int reps = 0;
        do { Gemm.nt(a, b); reps++; } while (System.nanoTime() - t0 < 2e9);
        return 2.0 * n * k * m * reps / ((System.nanoTime() - t0) / 1e9) / 1e9;
    }
}
