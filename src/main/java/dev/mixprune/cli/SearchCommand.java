package dev.mixprune.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.SharedFiles;
import dev.mixprune.UsageException;
import dev.mixprune.allocate.Budget;
import dev.mixprune.allocate.CandidateEvaluator;
import dev.mixprune.allocate.FisherTraces;
import dev.mixprune.allocate.FitnessWindows;
import dev.mixprune.allocate.Granularity;
import dev.mixprune.allocate.InitialPopulation;
import dev.mixprune.allocate.KlFitness;
import dev.mixprune.allocate.Levels;
import dev.mixprune.allocate.MspSearch;
import dev.mixprune.allocate.OwlAllocator;
import dev.mixprune.allocate.SearchConfig;
import dev.mixprune.allocate.SearchListener;
import dev.mixprune.allocate.SearchSpace;
import dev.mixprune.allocate.SearchTrace;
import dev.mixprune.cluster.Coordinator;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.io.OutputSet;
import dev.mixprune.progress.ProgressFactory;
import dev.mixprune.run.SearchProgress;
import dev.mixprune.resources.ResourcePlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code mixprune search}: the MSP evolutionary search; writes the plan, the trace and a checkpoint. */
@Command(name = "search", description = "Search per-layer sparsity levels (MSP) under a global budget; writes plan.json and search-trace.json.")
public final class SearchCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model file (.bin, .gguf) or HF directory") Path model;
    @Option(names = "--tokenizer", description = "tokenizer.bin for llama2.c models (default: beside the model)") Path tokenizer;
    @Option(names = "--method", defaultValue = "wanda", description = "wanda | sparsegpt | magnitude (default ${DEFAULT-VALUE})") String method;
    @Option(names = "--sparsity", required = true, description = "target sparsity of the prunable set, e.g. 0.75") double sparsity;
    @Option(names = "--levels", defaultValue = "unstructured", paramLabel = "unstructured|nm:M",
            description = "the levels each layer can take: unstructured (ratios, see --step) or nm:M (mixed N:M: N of every M kept, N in 1..M-1) (default ${DEFAULT-VALUE})")
    String pattern;
    /** The name of --levels until issue 14; accepted so that old scripts keep working. */
    @Option(names = "--pattern", hidden = true) String oldPattern;
    @Option(names = "--step", defaultValue = "0.025", description = "level step for unstructured ratios (default ${DEFAULT-VALUE})") double step;
    @Option(names = "--granularity", defaultValue = "layer", description = "layer | block (default ${DEFAULT-VALUE})") String granularity;
    @Option(names = "--init", defaultValue = "fisher", description = "fisher | random (default ${DEFAULT-VALUE})") String init;
    @Option(names = "--fisher", description = "fisher.json from the sensitivity command (default: none; needed for --init fisher)") Path fisher;
    @Option(names = "--fitness", defaultValue = "kl", description = "kl | ppl (default ${DEFAULT-VALUE})") String fitnessKind;
    @Option(names = "--generations", defaultValue = "30", description = "generations after the initial population (default ${DEFAULT-VALUE})") int generations;
    @Option(names = "--population", defaultValue = "24", description = "offspring per generation (default ${DEFAULT-VALUE})") int population;
    @Option(names = "--parents", defaultValue = "2", description = "genomes kept between generations (default ${DEFAULT-VALUE})") int parents;
    @Option(names = "--stage-tokens", defaultValue = "256,1024,4096", split = ",", description = "tokens per selection stage (default ${DEFAULT-VALUE})") int[] stageTokens;
    @Option(names = "--stage-survivors", split = ",",
            description = "survivors of every stage but the last (default 6,2 for three stages; with other --stage-tokens the first of 6,2 then 2s)")
    int[] stageSurvivors;
    @Option(names = "--seed", defaultValue = "0", description = "seed of the window draws and the search (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--calib", description = "calibration text (default: shared tinystories calib.txt)") Path calib;
    @Option(names = "--nsamples", defaultValue = "64", description = "calibration windows for the Wanda/OWL statistics (default ${DEFAULT-VALUE})") int nsamples;
    @Option(names = "--fitness-windows", defaultValue = "32", description = "windows in the fitness pool (default ${DEFAULT-VALUE})") int fitnessWindows;
    @Option(names = "--seqlen", description = "window length (default: the model's context)") Integer seqlen;
    @Option(names = "--owl-lambda", defaultValue = "0.08", description = "OWL seed of the population: block sparsities spread over target +- lambda (default ${DEFAULT-VALUE})") double owlLambda;
    @Option(names = "--owl-m", defaultValue = "5", description = "OWL seed of the population: a Wanda score above M times the block's mean counts as an outlier (default ${DEFAULT-VALUE})") double owlM;
    @Option(names = "--checkpoint", description = "checkpoint file (default: <out>.checkpoint.json)") Path checkpoint;
    @Option(names = "--resume", description = "continue from the checkpoint when it exists") boolean resume;
    @Option(names = "--trace", description = "trace file (default: search-trace.json beside --out)") Path trace;
    @Option(names = "--out", required = true, description = "plan JSON to write") Path out;
    @Option(names = "--kl-topk", defaultValue = "64",
            description = "KL fitness against the dense top-k tokens + the remaining mass (memory independent of the vocabulary); 0 = exact KL (default ${DEFAULT-VALUE})")
    int klTopK;
    @Option(names = "--level-window", description = "only levels within this sparsity distance of the target (bounds SparseGPT's level database), e.g. 0.1 (default: all levels)")
    Double levelWindow;
    @Option(names = "--max-memory", description = "bound on the planned peak memory, e.g. 4g; batch sizes are chosen under it, or the search refuses (the launcher also caps the heap; default: no bound)")
    String maxMemory;
    @Option(names = "--work-dir", description = "where scratch files go (level cuts, SparseGPT level database; default: beside --out); deleted at the end")
    Path workDir;

    @Mixin ComputeOptions compute = new ComputeOptions();
    @Option(names = "--force", description = "replace an existing search-trace.json beside --out (without --trace); inputs are never replaced") boolean force;
    @Mixin ClusterOptions cluster = new ClusterOptions();

    PrintStream err = System.err;
    PrintStream stdout = System.out;

    @Override public Integer call() throws Exception {
        if (oldPattern != null) {
            UsageException.require(pattern.equals("unstructured") || pattern.equals(oldPattern), "--pattern",
                    "--levels alone (--pattern is the old name of --levels)", oldPattern);
            pattern = oldPattern;
        }
        if (compute.quiet()) err = new PrintStream(java.io.OutputStream.nullOutputStream());
        dev.mixprune.prune.PruneMethod m = UsageException.fromOption("--method", () -> dev.mixprune.prune.PruneMethod.parse(method));
        MspSearch.Init in = switch (init.toLowerCase(Locale.ROOT)) {
            case "fisher" -> MspSearch.Init.FISHER;
            case "random" -> MspSearch.Init.RANDOM;
            default -> throw UsageException.option("--init", "expected fisher or random, got '" + init + "'");
        };
        KlFitness.Kind fk = switch (fitnessKind.toLowerCase(Locale.ROOT)) {
            case "kl" -> KlFitness.Kind.KL;
            case "ppl" -> KlFitness.Kind.PPL;
            default -> throw UsageException.option("--fitness", "expected kl or ppl, got '" + fitnessKind + "'");
        };
        UsageException.require(sparsity > 0 && sparsity < 1, "--sparsity", "a target in (0, 1)", sparsity);
        UsageException.require(nsamples >= 1, "--nsamples", "at least 1", nsamples);
        UsageException.require(fitnessWindows >= 1, "--fitness-windows", "at least 1", fitnessWindows);
        UsageException.require(seqlen == null || seqlen >= 2, "--seqlen", "at least 2", seqlen);
        UsageException.require(klTopK >= 0, "--kl-topk", "0 (exact KL) or more", klTopK);
        Levels parsed = UsageException.fromOption("--levels", () -> Levels.parse(pattern, step));
        Levels levels = levelWindow == null ? parsed : UsageException.fromOption("--level-window", () -> parsed.window(sparsity, levelWindow));
        Granularity gran = UsageException.fromOption("--granularity", () -> Granularity.parse(granularity));
        int[] survivors = stageSurvivors != null ? stageSurvivors : defaultSurvivors(stageTokens.length);
        SearchConfig cfg = UsageException.fromOptions(() -> new SearchConfig(generations, population, parents, stageTokens, survivors, 0.5, 2, 3, seed));
        Long maxBytes = maxMemory == null ? null : UsageException.fromOption("--max-memory", () -> ResourcePlan.parseBytes(maxMemory));
        Path scratch = workDir != null ? workDir : out.toAbsolutePath().getParent();

        cluster.check(model); // option errors before anything starts
        try (BlockSource src = MappedBlockSource.open(model, tokenizer)) {
            return search(src, m, in, fk, levels, gran, cfg, maxBytes, scratch);
        }
    }

    private int search(BlockSource src, dev.mixprune.prune.PruneMethod m, MspSearch.Init in, KlFitness.Kind fk, Levels levels, Granularity gran,
                       SearchConfig cfg, Long maxBytes, Path scratch) throws Exception {
        // Fail fast on an impossible budget or a foreign Fisher file, before any forward pass.
        SearchSpace space = new SearchSpace(src.config(), levels, gran, m);
        UsageException.fromOption("--sparsity", () -> Budget.of(space, Budget.nmTargetMatchingUniform(space, sparsity)));
        var traces = fisher != null ? FisherTraces.read(fisher, src.config()) : null;
        int len = seqlen != null ? seqlen : src.config().seqLen();
        UsageException.require(len <= src.config().seqLen(), "--seqlen", "at most the model's context length " + src.config().seqLen(), len);
        Path calibFile = calib != null ? calib : SharedFiles.require(SharedFiles.tinyStoriesCalib());
        Path cp = checkpoint != null ? checkpoint : out.resolveSibling(out.getFileName() + ".checkpoint.json");
        Path tr = trace != null ? trace : out.resolveSibling("search-trace.json");
        // The plan and the trace appear together or not at all; the checkpoint is rewritten in place
        // during the run (it must survive a kill for --resume) and only checked here.
        try (OutputSet outs = OutputSet.begin(CommandFiles.of(CommandFiles.model(model, tokenizer), calibFile, fisher), force)) {
            Path stagedPlan = outs.file(out, OutputSet.Existing.REPLACE, "--out");
            // With --resume the trace beside --out is this search's own (a kill can land after the plan and
            // trace were moved into place): rewritten, like the plan, instead of refused.
            Path stagedTrace = trace != null || resume ? outs.file(tr, OutputSet.Existing.REPLACE, trace != null ? "--trace" : "search-trace.json beside --out")
                    : outs.file(tr, OutputSet.Existing.REFUSE, "search-trace.json beside --out (see --trace)");
            outs.workingFile(cp, "--checkpoint");
            long t0 = System.nanoTime();
            int[] stream = FitnessWindows.tokenize(calibFile, src.requireTokenizer());
            List<int[]> stats = FitnessWindows.sample(stream, nsamples, len, seed);
            List<int[]> fit = FitnessWindows.sample(stream, fitnessWindows, len, ~seed);
            err.printf(Locale.ROOT, "calibration: %s, %,d tokens (%.1f s); %d statistic windows, %d fitness windows of %d%n",
                    calibFile, stream.length, (System.nanoTime() - t0) / 1e9, nsamples, fitnessWindows, len);
            MspSearch.Settings s = new MspSearch.Settings(m, sparsity, levels, gran, in, traces, InitialPopulation.DEFAULT_STRENGTHS,
                    fk, cfg, owlLambda, owlM, OwlAllocator.DEFAULT_NM_LAMBDA)
                    .withTopK(klTopK).withResources(new MspSearch.Resources(scratch, maxBytes, dev.mixprune.resources.Speed.assumed()));
            MspSearch.Outcome o;
            ObjectNode clusterBlock = null;
            long ts = System.nanoTime();
            try {
                try (SearchProgress progress = new SearchProgress(ProgressFactory.forCli(compute.quiet(), err), "");
                     Coordinator co = cluster.join(progress::log)) {
                    o = MspSearch.run(src, stats, fit, calibFile.getFileName() + ":" + seed, s, cp, resume, progress, progress::log,
                            co == null ? CandidateEvaluator.Factory.LOCAL : co.searchEvaluators(model));
                    if (co != null) clusterBlock = co.traceBlock();
                }
                o.plan().save(stagedPlan);
                SearchTrace.save(o.result().trace(), clusterBlock, stagedTrace);
            } catch (java.io.IOException e) {
                throw outs.named(e);
            }
            outs.commit();
            printSummary(o, (System.nanoTime() - ts) / 1e9, fk, levels, gran, cp, tr, clusterBlock);
        }
        return 0;
    }

    /** The summary on stdout; with a cluster, the workers' share instead of the local time split. */
    private void printSummary(MspSearch.Outcome o, double secs, KlFitness.Kind fk, Levels levels, Granularity gran, Path cp, Path tr,
                              ObjectNode clusterBlock) {

        var t = o.timings();
        stdout.printf(Locale.ROOT, "plan      %s (allocation msp, %s, %s granularity)%n", out, levels.name(), gran.name().toLowerCase(Locale.ROOT));
        stdout.printf(Locale.ROOT, "trace     %s%ncheckpoint %s%n", tr, cp);
        stdout.printf(Locale.ROOT, "sparsity  target %.4f, achieved %.6f (window up to %.6f)%n", sparsity, o.achieved(), o.budget().upperSparsity());
        stdout.printf(Locale.ROOT, "fitness   %s %.6f (best, on the last confirmation sample)%n", fk.name().toLowerCase(Locale.ROOT), o.bestFitness());
        stdout.printf(Locale.ROOT, "seeds     %s%n", String.join(", ", o.seedNames()));
        double searchSecs = Math.max(1e-9, secs - o.setupNanos() / 1e9);
        long evals = o.result().evaluations() - (o.result().resumedFrom() >= 0 ? resumedEvaluations(o) : 0);
        if (clusterBlock == null) {
            stdout.printf(Locale.ROOT, "time      %.1f s total (setup: statistics, level cuts, dense targets %.1f s), %,d evaluations this run, %.2f candidates/s, %,.0f fitness tokens/s%n",
                    secs, o.setupNanos() / 1e9, t.evaluations(), t.evaluations() / searchSecs, t.tokens() / searchSecs);
        } else {
            stdout.printf(Locale.ROOT, "time      %.1f s total (setup: statistics, level cuts, dense targets, workers ready %.1f s), %,d evaluations this run on the cluster, %.2f candidates/s%n",
                    secs, o.setupNanos() / 1e9, evals, evals / searchSecs);
        }
        ProcessHandle.current().info().totalCpuDuration().ifPresent(d -> stdout.printf(Locale.ROOT,
                "cpu       %.1f s process CPU time over %.1f s wall (%d cores available)%n", d.toMillis() / 1e3, secs + 0.0,
                Runtime.getRuntime().availableProcessors()));
        if (clusterBlock != null) {
            for (var mem : clusterBlock.get("members")) {
                stdout.printf(Locale.ROOT, "worker    %s: %d evaluations, %.1f s%s%n", mem.get("address").asText(), mem.get("evaluations").asLong(),
                        mem.get("seconds").asDouble(), mem.has("note") ? " (" + mem.get("note").asText() + ")" : "");
            }
            return;
        }
        double tot = Math.max(1, t.maskNanos() + t.forwardNanos() + t.lossNanos());
        stdout.printf(Locale.ROOT, "where     masking %.1f%%, forward %.1f%%, loss (KL/NLL) %.1f%%%n",
                100 * t.maskNanos() / tot, 100 * t.forwardNanos() / tot, 100 * t.lossNanos() / tot);
    }

    /** Evaluations the checkpoint already counted when this run resumed. */
    private static long resumedEvaluations(MspSearch.Outcome o) {
        var trace = o.result().trace();
        return trace.get(o.result().resumedFrom()).evaluations();
    }

    /** 6, 2 for the default three stages; n-1 entries for n stages (6 first, then 2; none for one stage). */
    static int[] defaultSurvivors(int stages) {
        int[] s = new int[Math.max(0, stages - 1)];
        for (int i = 0; i < s.length; i++) s[i] = i == 0 ? 6 : 2;
        return s;
    }
}
