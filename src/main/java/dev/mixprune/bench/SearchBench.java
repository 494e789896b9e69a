package dev.mixprune.bench;

import dev.mixprune.allocate.DenseStatistics;
import dev.mixprune.allocate.Granularity;
import dev.mixprune.allocate.KlFitness;
import dev.mixprune.allocate.Levels;
import dev.mixprune.allocate.ScoredLevels;
import dev.mixprune.allocate.SearchSpace;
import dev.mixprune.allocate.TokenSample;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.resources.HeapGuard;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Per-block costs of the streamed search on a real-shaped model file, each measured on its own:
 * reading a block from the mapped file (dequantized to float32), the statistics pass with the
 * level cuts, turning a block into a candidate's levels ({@code ScoredLevels.apply}), and whole
 * candidate evaluations at a few token counts (with KlFitness's split into read+mask / forward /
 * loss). Wall and process CPU seconds; the machine's load is printed with them.
 * <pre>SearchBench MODEL.gguf [method wanda|magnitude] [levels unstructured|nm:8] [tokens 128,512] [seqlen 128]</pre>
 * Two more modes:
 * <pre>
 * SearchBench write OUT.gguf DIM HIDDEN LAYERS HEADS KV_HEADS VOCAB   a synthetic F16 model with no vocabulary (any size), tensor by tensor
 * SearchBench fitness MODEL.gguf WINDOWS SEQLEN TOPK TOKENS           KL fitness alone: dense targets of WINDOWS x SEQLEN random tokens
 *                                                                    (top-k, 0 = exact), then one dense evaluation of TOKENS; memory printed
 * </pre>
 */
public final class SearchBench {
    private SearchBench() {}

    public static void main(String[] args) throws Exception {
        if (args[0].equals("write")) {
            int[] a = new int[6];
            for (int i = 0; i < 6; i++) a[i] = Integer.parseInt(args[2 + i]);
            LlamaConfig c = new LlamaConfig(a[0], a[1], a[2], a[3], a[4], a[5], 4096, 1e-5f, 500000f, false);
            long t0 = System.nanoTime();
            SyntheticLlama.writeStreaming(Path.of(args[1]), c, null, 1, dev.mixprune.io.TensorDType.F16);
            System.out.printf(Locale.ROOT, "wrote %s: %,d parameters in %.1f s%n", args[1], c.parameterCount(), (System.nanoTime() - t0) / 1e9);
            return;
        }
        if (args[0].equals("fitness")) {
            fitness(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]), Integer.parseInt(args[5]));
            return;
        }
        Path model = Path.of(args[0]);
        PruneMethod method = PruneMethod.parse(args.length > 1 ? args[1] : "wanda");
        Levels levels = Levels.parse(args.length > 2 ? args[2] : "unstructured", 0.025);
        String[] tok = (args.length > 3 ? args[3] : "128,512").split(",");
        int seqLen = args.length > 4 ? Integer.parseInt(args[4]) : 128;
        System.out.printf(Locale.ROOT, "# %s, %d cores, load %s; %s, %s%n", model.getFileName(), Runtime.getRuntime().availableProcessors(),
                Files.readString(Path.of("/proc/loadavg")).trim(), method.cliName(), levels.name());
        try (MappedBlockSource src = MappedBlockSource.openWeights(model)) {
            LlamaConfig c = src.config();
            long perBlock = c.prunablePerBlock();
            Random r = new Random(1);
            List<int[]> windows = new ArrayList<>();
            for (int i = 0; i < 4; i++) windows.add(r.ints(seqLen, 0, c.vocabSize()).toArray());

            // 1. Read: every block once, twice (the second pass is what candidates see: pages from the page cache).
            for (int pass = 0; pass < 2; pass++) {
                long[] t = start();
                for (int b = 0; b < c.nLayers(); b++) src.release(src.block(b));
                report("read block (" + src.weightType() + " -> float32), pass " + (pass + 1), t, c.nLayers(), perBlock);
            }

            // 2. Statistics pass + level cuts.
            SearchSpace space = new SearchSpace(c, levels, Granularity.LAYER);
            Path cuts = Files.createTempFile("searchbench", ".cuts");
            Files.delete(cuts);
            ScoredLevels sl;
            long[] t = start();
            ScoredLevels.Builder builder = new ScoredLevels.Builder(space, method, cuts);
            DenseStatistics.run(src, windows.subList(0, 2), false, 2, HeapGuard.none(), builder);
            sl = builder.finish();
            report("statistics (2 x " + seqLen + " tokens) + level cuts", t, c.nLayers(), perBlock);

            // 3. Candidate levels applied to a block already read (no I/O): low, middle and high levels.
            for (int level : new int[]{levels.count() / 4, levels.count() / 2, 3 * levels.count() / 4}) {
                BlockWeights bw = src.block(0);
                long[] ta = start();
                int reps = 3;
                for (int rep = 0; rep < reps; rep++) {
                    for (LayerKind k : LayerKind.values()) sl.apply(new LayerId(0, k), level, bw.linear(k));
                }
                report("apply level " + levels.pattern(level).text() + " to block 0", ta, reps, perBlock);
                src.release(bw);
            }

            // 4. Whole candidate evaluations (uniform middle level), by sample size.
            int[] genome = new int[space.geneCount()];
            java.util.Arrays.fill(genome, levels.count() / 2);
            KlFitness fit = new KlFitness(src, sl, windows, KlFitness.Options.defaults(KlFitness.Kind.KL, c), "bench", HeapGuard.none());
            for (String s : tok) {
                int tokens = Integer.parseInt(s.trim());
                KlFitness.Timings before = fit.timings();
                long[] te = start();
                fit.evaluate(genome, TokenSample.draw(windows.size(), seqLen, tokens, new dev.mixprune.allocate.Rng(tokens)));
                KlFitness.Timings after = fit.timings();
                double[] w = report("candidate evaluation, " + tokens + " tokens", te, 1, perBlock * c.nLayers());
                System.out.printf(Locale.ROOT, "    per block: read+mask %.2f s, forward %.2f s; loss (classifier, KL) %.2f s per candidate%n",
                        (after.maskNanos() - before.maskNanos()) / 1e9 / c.nLayers(), (after.forwardNanos() - before.forwardNanos()) / 1e9 / c.nLayers(),
                        (after.lossNanos() - before.lossNanos()) / 1e9);
            }
            sl.close();
            Files.deleteIfExists(cuts);
        }
    }

    /** KL fitness memory: the dense targets' store and the process's peak resident size, by vocabulary and k. */
    static void fitness(Path model, int nWindows, int seqLen, int topK, int tokens) throws Exception {
        try (MappedBlockSource src = MappedBlockSource.openWeights(model)) {
            LlamaConfig c = src.config();
            System.out.printf(Locale.ROOT, "# %s: vocab %,d, dim %d, %d blocks; %d windows x %d, %s; load %s%n", model.getFileName(), c.vocabSize(), c.dim(),
                    c.nLayers(), nWindows, seqLen, topK == 0 ? "exact KL" : "top-" + topK + " KL", Files.readString(Path.of("/proc/loadavg")).trim());
            Random r = new Random(3);
            List<int[]> windows = new ArrayList<>();
            for (int i = 0; i < nWindows; i++) windows.add(r.ints(seqLen, 0, c.vocabSize()).toArray());
            KlFitness.Options o = KlFitness.Options.defaults(KlFitness.Kind.KL, c).withTopK(topK);
            System.out.printf(Locale.ROOT, "planned targets %s (exact would be %s)%n", dev.mixprune.resources.ResourcePlan.human(KlFitness.targetBytes(o, c, nWindows, seqLen)),
                    dev.mixprune.resources.ResourcePlan.human(KlFitness.targetBytes(o.withTopK(0), c, nWindows, seqLen)));
            long[] t = start();
            KlFitness f = new KlFitness(src, null, windows, o, "bench", new HeapGuard(2L << 30));
            report("dense targets", t, 1, c.prunableTotal());
            System.out.printf(Locale.ROOT, "targets held %s; peak RSS so far %d MiB%n", dev.mixprune.resources.ResourcePlan.human(f.targets().bytes()), StreamBench.peakRssKib() / 1024);
            long[] te = start();
            double kl = f.evaluate(null, TokenSample.draw(nWindows, seqLen, tokens, new dev.mixprune.allocate.Rng(1)));
            report("one evaluation, " + tokens + " tokens (the dense model: KL " + String.format(Locale.ROOT, "%.2e", kl) + ")", te, 1, c.prunableTotal());
            System.out.printf(Locale.ROOT, "peak RSS %d MiB%n", StreamBench.peakRssKib() / 1024);
        }
    }

    private static long[] start() { return new long[]{System.nanoTime(), cpu()}; }

    private static long cpu() { return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime(); }

    /** Prints wall and CPU seconds per unit and weights per second; returns {wall, cpu} per unit. */
    private static double[] report(String what, long[] t, int units, long weightsPerUnit) {
        double wall = (System.nanoTime() - t[0]) / 1e9 / units, cpu = (cpu() - t[1]) / 1e9 / units;
        System.out.printf(Locale.ROOT, "%-55s %8.3f s wall %8.3f s cpu per unit (%d units); %.3f G weights/s wall%n", what, wall, cpu, units,
                weightsPerUnit / wall / 1e9);
        return new double[]{wall, cpu};
    }
}
