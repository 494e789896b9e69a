package dev.mixprune.cli;

import dev.mixprune.SharedFiles;
import dev.mixprune.UsageException;
import dev.mixprune.allocate.Granularity;
import dev.mixprune.allocate.SearchConfig;
import dev.mixprune.cluster.Coordinator;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.io.OutputSet;
import dev.mixprune.progress.ProgressFactory;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.report.HtmlReport;
import dev.mixprune.report.RunDirectory;
import dev.mixprune.run.MspRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code mixprune run}: the main job, with defaults for stories260K at 75%. */
@Command(name = "run",
        description = "The main job: Fisher sensitivities, uniform / OWL / MSP allocations, pruning under each plan, "
                + "perplexity, a results table, a report. With no arguments: stories260K, Wanda, 75%% unstructured.")
public final class RunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--model", description = "model (default: stories260K.bin under the shared folder)") Path model;
    @Option(names = "--tokenizer", description = "tokenizer.bin for llama2.c models (default: beside the model)") Path tokenizer;
    @Option(names = "--method", defaultValue = "wanda", description = "magnitude, wanda or sparsegpt (default ${DEFAULT-VALUE})") String method;
    @Option(names = "--sparsity", defaultValue = "0.75", description = "target sparsity of the prunable set (default ${DEFAULT-VALUE})") double sparsity;
    @Option(names = "--pattern", defaultValue = "unstructured", description = "unstructured | nm:M (mixed N:M) (default ${DEFAULT-VALUE})") String pattern;
    @Option(names = "--step", defaultValue = "0.025", description = "level step of unstructured ratios (default ${DEFAULT-VALUE})") double step;
    @Option(names = "--granularity", defaultValue = "layer", description = "layer | block (default ${DEFAULT-VALUE})") String granularity;
    @Option(names = "--allocations", defaultValue = "uniform,owl-reference,owl,msp", split = ",",
            description = "allocations to compare: uniform, owl-reference, owl (budget-matched), fisher, msp (default ${DEFAULT-VALUE})") List<String> allocations;
    @Option(names = "--calib", description = "calibration text (default: data/tinystories/calib.txt under the shared folder)") Path calib;
    @Option(names = "--eval", description = "evaluation text (default: data/tinystories/valid.txt under the shared folder)") Path eval;
    @Option(names = "--nsamples", defaultValue = "128", description = "calibration windows (default ${DEFAULT-VALUE})") int nsamples;
    @Option(names = "--fisher-samples", defaultValue = "32", description = "windows for the Fisher traces (default ${DEFAULT-VALUE})") int fisherSamples;
    @Option(names = "--fisher", description = "reuse Fisher traces from a sensitivity run (fisher.json) instead of computing them") Path fisher;
    @Option(names = "--generations", defaultValue = "30", description = "search generations (default ${DEFAULT-VALUE})") int generations;
    @Option(names = "--population", defaultValue = "24", description = "search offspring per generation (default ${DEFAULT-VALUE})") int population;
    @Option(names = "--fitness-windows", defaultValue = "32", description = "windows in the search's fitness pool (default ${DEFAULT-VALUE})") int fitnessWindows;
    @Option(names = "--stage-tokens", split = ",", description = "search: tokens per selection stage (default 256,1024,4096)") int[] stageTokens;
    @Option(names = "--stage-survivors", split = ",", description = "search: survivors of every stage but the last (default 6,2)") int[] stageSurvivors;
    @Option(names = "--seqlen", description = "calibration, Fisher and fitness window length (default: the model's context length)") Integer seqlen;
    @Option(names = "--eval-windows", defaultValue = "0",
            description = "score only the first N evaluation windows (0 = the whole text, protocol P; default ${DEFAULT-VALUE})") int evalWindows;
    @Option(names = "--max-memory", description = "bound on the planned peak memory, e.g. 8g (chunk and batch sizes are chosen under it, or the run refuses)")
    String maxMemory;
    @Option(names = "--work-dir", description = "where scratch files go (search level cuts or database, Fisher checkpoints; default: the run directory)")
    Path workDir;
    @Option(names = "--seed", defaultValue = "0", description = "seed of calibration sampling and the search (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--search-seed", description = "seed of the MSP search's evolution alone (default: --seed); the calibration "
            + "windows, Fisher traces and fitness windows still follow --seed, so search seeds can be compared on one calibration") Long searchSeed;
    @Option(names = "--tasks", split = ",", defaultValue = "none",
            description = "zero-shot tasks on every model: names, all or none (default ${DEFAULT-VALUE})") List<String> tasks;
    @Option(names = "--task-limit", defaultValue = "200", paramLabel = "N|FRACTION",
            description = "documents per task with --tasks, as eval --limit: a count or a fraction below 1 (0 = all; default ${DEFAULT-VALUE})") String taskLimit;
    @Option(names = "--out", description = "run directory (default: runs/run-<date-time>)") Path out;
    @Option(names = "--recover", arity = "0..1", defaultValue = "0", fallbackValue = "600", paramLabel = "STEPS",
            description = "also recover each pruned model (global mask-fixed distillation from the dense model, docs/recover.md) for STEPS steps "
                    + "(600 when given without a number) and add rows uniform+R, owl+R, msp+R") int recoverSteps;
    @Option(names = "--no-models", description = "do not write the pruned models") boolean noModels;
    @Option(names = "--quiet", description = "no progress on stderr") boolean quiet;
    @Option(names = "--json", description = "print the results as JSON") boolean json;
    @Option(names = "--force", description = "replace a non-empty --out directory (its files are deleted); inputs are never replaced") boolean force;
    @Mixin ClusterOptions cluster = new ClusterOptions();

    @Override public Integer call() throws Exception {
        PruneMethod m = UsageException.fromOption("--method", () -> PruneMethod.parse(method));
        for (String a : allocations) {
            if (!dev.mixprune.run.Plans.ALLOCATIONS.contains(a)) {
                throw UsageException.option("--allocations", "unknown allocation '" + a + "', expected uniform, owl, owl-reference, fisher or msp");
            }
        }
        UsageException.require(sparsity > 0 && sparsity < 1, "--sparsity", "a target in (0, 1)", sparsity);
        UsageException.require(nsamples >= 1, "--nsamples", "at least 1", nsamples);
        UsageException.require(fisherSamples >= 1, "--fisher-samples", "at least 1", fisherSamples);
        UsageException.require(fitnessWindows >= 1, "--fitness-windows", "at least 1", fitnessWindows);
        UsageException.require(recoverSteps >= 0, "--recover", "a number of steps >= 0", recoverSteps);
        var docLimit = UsageException.fromOption("--task-limit", () -> dev.mixprune.eval.zeroshot.EvalLimit.parse(taskLimit));
        UsageException.fromOption("--pattern", () -> dev.mixprune.allocate.Levels.parse(pattern, step));
        Granularity gran = UsageException.fromOption("--granularity", () -> Granularity.parse(granularity));
        var taskList = UsageException.fromOption("--tasks", () -> EvalCommand.parseTasks(tasks));
        Path modelPath = model != null ? model : SharedFiles.require(SharedFiles.stories260KBin());
        Path calibPath = calib != null ? calib : SharedFiles.require(SharedFiles.tinyStoriesCalib());
        Path evalPath = eval != null ? eval : SharedFiles.require(SharedFiles.tinyStoriesValid());
        Path dir = out != null ? out : Path.of("runs", "run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        long evolutionSeed = searchSeed != null ? searchSeed : seed;
        SearchConfig d = SearchConfig.defaults(evolutionSeed);
        int[] tokens = stageTokens != null ? stageTokens : d.stageTokens();
        SearchConfig search = UsageException.fromOptions(() -> new SearchConfig(generations, population, d.parents(), tokens,
                stageSurvivors != null ? stageSurvivors : SearchCommand.defaultSurvivors(tokens.length), d.crossoverRate(), d.tournament(), d.maxFlips(), evolutionSeed));
        UsageException.require(evalWindows >= 0, "--eval-windows", "0 (the whole text) or more", evalWindows);
        UsageException.require(seqlen == null || seqlen >= 2, "--seqlen", "at least 2", seqlen);
        Long maxBytes = maxMemory == null ? null : UsageException.fromOption("--max-memory", () -> dev.mixprune.resources.ResourcePlan.parseBytes(maxMemory));

        List<String> command = new ArrayList<>(List.of("mixprune"));
        try {
            command.addAll(spec.commandLine().getParseResult().originalArgs());
        } catch (RuntimeException ignored) {
            // called directly in tests
        }
        PrintStream log = quiet ? new PrintStream(java.io.OutputStream.nullOutputStream()) : System.err;
        cluster.check(modelPath); // cluster options before any work
        // The run directory is written under a temporary name beside its target and moved into place
        // when everything is in it (report included): a run that fails or is killed leaves none.
        List<Path> inputs = new ArrayList<>(CommandFiles.of(CommandFiles.model(modelPath, tokenizer), calibPath, evalPath, fisher));
        if (!taskList.isEmpty()) inputs.addAll(CommandFiles.model(SharedFiles.resolve("data/tasks"), null));
        MspRun.Outcome o;
        try (OutputSet outs = OutputSet.begin(inputs, force)) {
            Path staged = outs.directory(dir, "--out");
            try (BlockSource source = MappedBlockSource.open(modelPath, tokenizer)) {
                MspRun.Settings s = new MspRun.Settings(m, sparsity, pattern, step, gran, List.copyOf(allocations),
                        calibPath, evalPath, nsamples, fisherSamples, fisher, seed, search, fitnessWindows, staged, !noModels, command,
                        taskList, docLimit, SharedFiles.resolve("data/tasks"), seqlen, evalWindows, maxBytes, workDir, recoverSteps);
                try (Coordinator co = cluster.join(log::println)) {
                    o = MspRun.run(source, s, ProgressFactory.forCli(quiet), log, co);
                }
                Files.writeString(staged.resolve("report.html"),
                        HtmlReport.render(RunDirectory.read(staged).withRunDir(dir.toString())), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw outs.named(e);
            }
            outs.commit();
        }

        PrintStream so = System.out;
        if (json) {
            so.println(new String(java.nio.file.Files.readAllBytes(dir.resolve("results.json")), StandardCharsets.UTF_8));
            return 0;
        }
        so.printf(Locale.ROOT, "MSP run: %s, %s, target %.2f %s, %s granularity%n", modelPath.getFileName(), m.cliName(), sparsity, pattern,
                granularity);
        so.printf(Locale.ROOT, "%-13s %10s %12s%n", "allocation", "sparsity", "perplexity");
        so.printf(Locale.ROOT, "%-13s %10.4f %12.3f%n", "dense", 0.0, o.dense().ppl());
        for (MspRun.Row r : o.rows()) so.printf(Locale.ROOT, "%-13s %10.4f %12.3f%n", r.allocation(), r.achievedSparsity(), r.ppl());
        so.printf("perplexity on %s (%d windows x %d tokens)%n", evalPath, o.dense().windows(), o.dense().seqLen());
        so.printf("wrote %s: manifest.json, results.json, fisher.json, %s, report.html%s%n", dir,
                String.join(", ", allocations.stream().map(a -> "plan-" + a + ".json").toList()),
                noModels ? "" : ", model-*" );
        return 0;
    }

}
