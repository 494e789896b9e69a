package dev.mixprune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixprune.SharedFiles;
import dev.mixprune.UsageException;
import dev.mixprune.allocate.FisherReport;
import dev.mixprune.allocate.FisherSensitivity;
import dev.mixprune.allocate.StreamingFisher;
import dev.mixprune.cluster.ClusterFisher;
import dev.mixprune.cluster.Coordinator;
import dev.mixprune.data.CalibrationWindows;
import dev.mixprune.data.Corpus;
import dev.mixprune.data.TokenStream;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.OutputSet;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.resources.HeapGuard;
import dev.mixprune.resources.ResourcePlan;
import dev.mixprune.resources.Speed;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code mixprune sensitivity}: per-layer empirical Fisher traces (protocols.md F) on calibration
 * windows (protocols.md C), written as {@code mixprune.fisher} JSON and printed as tables. The model
 * is read block by block from the memory-mapped file and the gradients come from the float32
 * backward ({@link StreamingFisher}); {@code --reference} runs the double-precision backward on
 * the whole model in memory instead (small models; the reference the float32 path is tested against).
 */
@Command(name = "sensitivity",
        description = "Per-layer Fisher-trace sensitivities from exact per-window gradients (protocols.md F).")
public final class SensitivityCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model file (.bin, .gguf) or HF directory") Path model;
    @Option(names = "--tokenizer", description = "tokenizer (default: beside or inside the model)") Path tokenizer;
    @Option(names = "--calib", description = "calibration text (default: ../shared/data/tinystories/calib.txt)") Path calib;
    @Option(names = "--fisher-samples", defaultValue = "32", description = "calibration windows the Fisher traces average over (default: ${DEFAULT-VALUE})") int samples;
    /** The name of --fisher-samples until issue 14 (run calls it --fisher-samples); accepted so that old scripts keep working. */
    @Option(names = "--samples", hidden = true) Integer oldSamples;
    @Option(names = "--seqlen", description = "tokens per window (default: the model's context length)") Integer seqlen;
    @Option(names = "--seed", defaultValue = "0", description = "seed of the window offsets (Python's random, protocols.md C; default: ${DEFAULT-VALUE})") long seed;
    @Option(names = "--checkpoint-dir", description = "directory for the temporary activation checkpoints when they do not stay in memory "
            + "(default: the directory of --out; the file is removed at the end, also on failure)") Path checkpointDir;
    @Option(names = "--max-memory", description = "bound on the planned peak memory, e.g. 3g: windows per group are chosen under it, or the command refuses "
            + "(the launcher also caps the heap; default: no bound)") String maxMemory;
    @Option(names = "--reference", description = "double-precision backward on the whole model in memory (the reference; small models only)") boolean reference;
    @Option(names = "--out", required = true, description = "output fisher.json") Path out;
    @Option(names = "--json", description = "print the report as JSON instead of tables") boolean json;

    PrintStream stdout = System.out;
    PrintStream stderr = System.err;

    @Mixin ComputeOptions compute = new ComputeOptions();
    @Mixin ClusterOptions cluster = new ClusterOptions();

    /** Progress on this command's stderr: a bar when it is a terminal, periodic lines otherwise, nothing with --quiet. */
    private dev.mixprune.progress.ProgressFactory progress() {
        return dev.mixprune.progress.ProgressFactory.forCli(compute.quiet(), stderr);
    }

    @Override public Integer call() throws Exception {
        Integer threads = compute.threads();
        if (oldSamples != null) samples = oldSamples;
        UsageException.require(samples >= 1, "--fisher-samples", "at least 1", samples);
        UsageException.require(threads == null || threads >= 1, "--threads", "at least 1", threads);
        UsageException.require(seqlen == null || seqlen >= 2, "--seqlen", "at least 2", seqlen);
        if (cluster.enabled() && reference) throw UsageException.option("--cluster", "the double --reference runs in this process only");
        cluster.check(model);
        try (BlockSource src = MappedBlockSource.open(model, tokenizer)) {
            LlamaConfig c = src.config();
            int T = seqlen == null ? c.seqLen() : seqlen;
            UsageException.require(T <= c.seqLen(), "--seqlen", "at most the model's context length " + c.seqLen(), T);
            Path calibFile = calib == null ? SharedFiles.require(SharedFiles.tinyStoriesCalib()) : calib;

            // The report is staged and moved into place only when complete; it may not replace an input.
            try (OutputSet outs = OutputSet.begin(CommandFiles.of(CommandFiles.model(model, tokenizer), calibFile), false)) {
                Path staged = outs.file(out, OutputSet.Existing.REPLACE, "--out");
                long t0 = System.nanoTime();
                CalibrationWindows w = selectWindows(src.requireTokenizer(), calibFile, T);
                long t1 = System.nanoTime();
                String source = calibFile.getFileName() + " seed " + seed + " samples " + samples + " seqlen " + T;
                FisherReport r;
                int nThreads;
                JsonNode workers = null;
                if (reference) {
                    nThreads = threads == null ? FisherSensitivity.defaultThreads(c, T) : threads;
                    var weights = ModelLoader.load(model, tokenizer).weights();
                    try (dev.mixprune.progress.Progress pb = progress().start("fisher (double reference)", samples, "windows")) {
                        r = FisherSensitivity.compute(weights, w.windows(), (done, total) -> pb.step(1), nThreads, source);
                    } catch (dev.mixprune.NonFiniteException e) {
                        throw e.inModel(model);
                    }
                } else {
                    Path dir = checkpointDir != null ? checkpointDir : out.toAbsolutePath().getParent();
                    StreamingFisher.Options o = StreamingFisher.Options.defaults(dir);
                    nThreads = threads == null ? o.threads() : threads;
                    Long maxBytes = maxMemory == null ? null : UsageException.fromOption("--max-memory", () -> ResourcePlan.parseBytes(maxMemory));
                    o = StreamingFisher.fitting(c, w.nsamples(), T, o.withThreads(nThreads), maxBytes);
                    StreamingFisher.Plan plan = StreamingFisher.plan(c, w.nsamples(), T, o);
                    ResourcePlan rp = StreamingFisher.resources(c, w.nsamples(), T, o, Speed.assumed());
                    if (!compute.quiet()) {
                        stderr.println("sensitivity: " + describe(plan, c));
                        rp.print(stderr);
                    }
                    rp.enforce(maxBytes, "lower --fisher-samples or --seqlen, or raise --max-memory");
                    dev.mixprune.resources.HeapBound.set(dev.mixprune.resources.HeapBound.heapOf(rp));
                    o = o.withGuard(new HeapGuard(Math.max(256L << 20, rp.peakMemory() - ResourcePlan.JVM_BASE_BYTES + (256L << 20))));
                    if (!cluster.enabled()) {
                        try (dev.mixprune.progress.Progress pb = progress().start("fisher", plan.blockPasses(c.nLayers()), "block passes")) {
                            r = StreamingFisher.compute(src, w.windows(), source, o, (done, total) -> pb.step(1));
                        } catch (dev.mixprune.NonFiniteException e) {
                            throw e.inModel(model);
                        }
                    } else {
                        // The windows' gradients on the cluster's workers; reduced here in window order (the same report).
                        try (Coordinator co = cluster.join(stderr::println);
                             dev.mixprune.progress.Progress pb = progress().start("fisher (cluster)", w.nsamples(), "windows")) {
                            long[] last = {0};
                            r = StreamingFisher.compute(src, w.windows(), source, o, (done, total) -> {
                                pb.step(done - last[0]);
                                last[0] = done;
                            }, new ClusterFisher(co, model));
                            workers = co.traceBlock();
                        } catch (dev.mixprune.NonFiniteException e) {
                            throw e.inModel(model);
                        }
                    }
                }
                long t2 = System.nanoTime();
                try {
                    r.save(staged);
                } catch (java.io.IOException e) {
                    throw outs.named(e);
                }
                outs.commit();
                if (json) {
                    stdout.println(r.toJsonString());
                } else {
                    printTables(r, stdout);
                    stdout.printf(Locale.ROOT, "windows %d x %d tokens from %s (sha256 %s), mean loss %.6f%n",
                            r.windows(), r.seqLen(), source, r.dataSha256().substring(0, 16), r.meanLoss());
                    stdout.printf(Locale.ROOT, "time: windows %.1f s, gradients %.1f s (%s, %d threads); wrote %s%n",
                            (t1 - t0) / 1e9, (t2 - t1) / 1e9, reference ? "double reference" : workers != null ? "float32, on the cluster" : "float32, streamed",
                            nThreads, out);
                    if (workers != null) {
                        for (var m : workers.get("members")) {
                            stdout.printf(Locale.ROOT, "worker %s: %d windows, %.1f s%s%n", m.get("address").asText(), m.path("fisher_windows").asLong(),
                                    m.get("seconds").asDouble(), m.has("note") ? " (" + m.get("note").asText() + ")" : "");
                        }
                    }
                }
            }
        }
        return 0;
    }

    /** One line: groups, checkpoint place and size. */
    static String describe(StreamingFisher.Plan p, LlamaConfig c) {
        return String.format(Locale.ROOT, "%d windows x %d tokens in %d group(s) of %d; per group each of %d blocks read twice; checkpoints %s %s",
                p.windows(), p.seqLen(), p.groups(), p.windowsPerGroup(), c.nLayers(), ResourcePlan.human(p.checkpointBytes()),
                p.checkpointsOnDisk() ? "in a temporary file" : "in memory");
    }

    /**
     * protocols.md F: the first {@code samples} windows of protocol C's seeded draw (the draw is
     * sequential, so these are the first windows of any larger calibration set with that seed).
     */
    CalibrationWindows selectWindows(dev.mixprune.tokenizer.Tokenizer tok, Path calibFile, int T) {
        TokenStream stream = TokenStream.of(Corpus.read(calibFile), tok);
        try {
            return CalibrationWindows.sample(stream, samples, T, seed);
        } catch (dev.mixprune.BadInputException e) {
            throw new dev.mixprune.BadInputException(calibFile + ": " + e.getMessage(), e); // name the file
        }
    }

    /** Per-layer table (trace, numel, density, share of the block) and per-block table. */
    static void printTables(FisherReport r, PrintStream out) {
        double[] blocks = r.blockSums();
        double total = 0;
        for (double b : blocks) total += b;
        out.printf(Locale.ROOT, "%-10s %14s %8s %9s %14s %8s%n", "layer", "trace F_l", "+-se", "numel", "F_l/numel", "of block");
        for (var e : r.traces().entrySet()) {
            LayerId id = e.getKey();
            double relSe = r.stdError(id) / e.getValue();
            out.printf(Locale.ROOT, "%-10s %14.6e %7.1f%% %9d %14.6e %7.1f%%%n", id.name(), e.getValue(), 100 * relSe, r.numel(id),
                    r.density(id), 100 * e.getValue() / blocks[id.block()]);
        }
        out.println();
        out.printf(Locale.ROOT, "%-6s %14s %8s", "block", "sum F_l", "share");
        for (LayerKind k : LayerKind.values()) out.printf(Locale.ROOT, " %6s", k.shortName());
        out.println();
        for (int b = 0; b < blocks.length; b++) {
            out.printf(Locale.ROOT, "%-6d %14.6e %7.1f%%", b, blocks[b], 100 * blocks[b] / total);
            for (LayerKind k : LayerKind.values()) out.printf(Locale.ROOT, " %5.1f%%", 100 * r.trace(new LayerId(b, k)) / blocks[b]);
            out.println();
        }
        out.printf(Locale.ROOT, "%-6s %14.6e%n", "total", total);
    }
}
