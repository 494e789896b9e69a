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
 */
public final class SearchBench {
    private SearchBench() {}

    public static void main(String[] args) throws Exception {
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
