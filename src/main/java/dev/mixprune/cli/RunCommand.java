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
    @Option(names = "--config", paramLabel = "FILE",
            description = "a recipe (YAML or JSON; docs/recipes.md), e.g. runs/X/recipe.json: every setting of run; options given here override it (default: none)")
    Path config;
    @Option(names = "--levels", defaultValue = "unstructured", paramLabel = "unstructured|nm:M",
            description = "the levels each layer can take (search space of OWL, Fisher and MSP): unstructured (ratios, see --step) or nm:M "
                    + "(mixed N:M: N of every M kept, N in 1..M-1; uniform = the pattern matching --sparsity) (default ${DEFAULT-VALUE})")
    String pattern;
    /** The name of --levels until issue 14; accepted so that old scripts keep working. */
    @Option(names = "--pattern", hidden = true) String oldPattern;
    @Option(names = "--step", defaultValue = "0.025", description = "level step of unstructured ratios (default ${DEFAULT-VALUE})") double step;
    @Option(names = "--granularity", defaultValue = "layer", description = "layer | block (default ${DEFAULT-VALUE})") String granularity;
    @Option(names = "--allocations", defaultValue = "uniform,owl-reference,owl,msp", split = ",",
            description = "allocations to compare: uniform, owl-reference, owl (budget-matched), fisher, msp (default ${DEFAULT-VALUE})") List<String> allocations;
    @Option(names = "--calib", description = "calibration text (default: data/tinystories/calib.txt under the shared folder)") Path calib;
    @Option(names = "--eval", description = "evaluation text (default: data/tinystories/valid.txt under the shared folder)") Path eval;
    @Option(names = "--nsamples", defaultValue = "128", description = "calibration windows (default ${DEFAULT-VALUE})") int nsamples;
    @Option(names = "--fisher-samples", defaultValue = "32", description = "windows for the Fisher traces (default ${DEFAULT-VALUE})") int fisherSamples;
    @Option(names = "--fisher", description = "reuse Fisher traces from a sensitivity run (fisher.json) instead of computing them (default: computed on --fisher-samples windows)") Path fisher;
    @Option(names = "--generations", defaultValue = "30", description = "search generations (default ${DEFAULT-VALUE})") int generations;
    @Option(names = "--population", defaultValue = "24", description = "search offspring per generation (default ${DEFAULT-VALUE})") int population;
    @Option(names = "--fitness-windows", defaultValue = "32", description = "windows in the search's fitness pool (default ${DEFAULT-VALUE})") int fitnessWindows;
    @Option(names = "--parents", defaultValue = "2", description = "search: genomes kept between generations (default ${DEFAULT-VALUE})") int parents;
    @Option(names = "--stage-tokens", split = ",", description = "search: tokens per selection stage (default 256,1024,4096)") int[] stageTokens;
    @Option(names = "--stage-survivors", split = ",",
            description = "search: survivors of every stage but the last (default 6,2 for three stages; with other --stage-tokens the first of 6,2 then 2s)")
    int[] stageSurvivors;
    @Option(names = "--seqlen", description = "calibration, Fisher and fitness window length (default: the model's context length)") Integer seqlen;
    @Option(names = "--eval-windows", defaultValue = "0",
            description = "score only the first N evaluation windows (0 = the whole text, protocol P; default ${DEFAULT-VALUE})") int evalWindows;
    @Option(names = "--max-memory", description = "bound on the planned peak memory, e.g. 8g (chunk and batch sizes are chosen under it, or the run refuses; default: no bound)")
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
    @Option(names = "--tasks-dir", description = "folder of the zero-shot task files (default: data/tasks under the shared folder)") Path tasksDir;
    @Option(names = "--out", description = "run directory (default: runs/run-<date-time>)") Path out;
    @Option(names = "--recover", arity = "0..1", defaultValue = "0", fallbackValue = "600", paramLabel = "STEPS",
            description = "also recover each pruned model (global mask-fixed distillation from the dense model, docs/recover.md) for STEPS steps "
                    + "(600 when given without a number) and add rows uniform+R, owl+R, msp+R (default: 0, no recovery)") int recoverSteps;
    @Option(names = "--no-models", description = "do not write the pruned models") boolean noModels;
    @Mixin ComputeOptions compute = new ComputeOptions();
    @Option(names = "--json", description = "print the results as JSON") boolean json;
    @Option(names = "--force", description = "replace a non-empty --out directory (its files are deleted); inputs are never replaced") boolean force;
    @Mixin ClusterOptions cluster = new ClusterOptions();

    /** The command line as the user typed it (set when a recipe was merged in: the manifest shows what was typed). */
    List<String> invokedAs;

    @Override public Integer call() throws Exception {
        if (config != null) return RunRecipe.resolve(config, spec).call();
        if (oldPattern != null) {
            UsageException.require(pattern.equals("unstructured") || pattern.equals(oldPattern), "--pattern",
                    "--levels alone (--pattern is the old name of --levels)", oldPattern);
            pattern = oldPattern;
        }
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
        UsageException.fromOption("--levels", () -> dev.mixprune.allocate.Levels.parse(pattern, step));
        Granularity gran = UsageException.fromOption("--granularity", () -> Granularity.parse(granularity));
        var taskList = UsageException.fromOption("--tasks", () -> EvalCommand.parseTasks(tasks));
        Path modelPath = model != null ? model : SharedFiles.require(SharedFiles.stories260KBin());
        Path calibPath = calib != null ? calib : SharedFiles.require(SharedFiles.tinyStoriesCalib());
        Path evalPath = eval != null ? eval : SharedFiles.require(SharedFiles.tinyStoriesValid());
        Path dir = out != null ? out : Path.of("runs", "run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Path tasksPath = tasksDir != null ? tasksDir : SharedFiles.resolve("data/tasks");
        long evolutionSeed = searchSeed != null ? searchSeed : seed;
        SearchConfig d = SearchConfig.defaults(evolutionSeed);
        int[] tokens = stageTokens != null ? stageTokens : d.stageTokens();
        int[] survivors = stageSurvivors != null ? stageSurvivors : SearchCommand.defaultSurvivors(tokens.length);
        SearchConfig search = UsageException.fromOptions(() -> new SearchConfig(generations, population, parents, tokens, survivors,
                d.crossoverRate(), d.tournament(), d.maxFlips(), evolutionSeed));
        UsageException.require(evalWindows >= 0, "--eval-windows", "0 (the whole text) or more", evalWindows);
        UsageException.require(seqlen == null || seqlen >= 2, "--seqlen", "at least 2", seqlen);
        Long maxBytes = maxMemory == null ? null : UsageException.fromOption("--max-memory", () -> dev.mixprune.resources.ResourcePlan.parseBytes(maxMemory));

        List<String> command = invokedAs;
        if (command == null) {
            command = new ArrayList<>(List.of("mixprune"));
            try {
                command.addAll(spec.commandLine().getParseResult().originalArgs());
            } catch (RuntimeException ignored) {
                // called directly in tests
            }
        }
        // recipe.json: every setting as this run resolves it, so that run --config DIR/recipe.json repeats it.
        java.util.Map<String, Object> resolved = new java.util.HashMap<>();
        resolved.put("model", modelPath.toAbsolutePath().normalize());
        resolved.put("calibration.file", calibPath.toAbsolutePath().normalize());
        resolved.put("evaluation.file", evalPath.toAbsolutePath().normalize());
        resolved.put("evaluation.tasks_dir", tasksPath.toAbsolutePath().normalize());
        resolved.put("evaluation.tasks", taskList.stream().map(dev.mixprune.eval.zeroshot.ZeroShotTask::id).toList());
        resolved.put("evaluation.task_limit", taskLimit.matches("\\d+") ? (Object) Integer.valueOf(taskLimit) : taskLimit);
        resolved.put("search.stage_tokens", java.util.Arrays.stream(tokens).boxed().toList());
        resolved.put("search.stage_survivors", java.util.Arrays.stream(survivors).boxed().toList());
        resolved.put("search.seed", evolutionSeed);
        var recipe = RunRecipe.of(spec, resolved);
        PrintStream log = compute.quiet() ? new PrintStream(java.io.OutputStream.nullOutputStream()) : System.err;
        cluster.check(modelPath); // cluster options before any work
        // The run directory is written under a temporary name beside its target and moved into place
        // when everything is in it (report included): a run that fails or is killed leaves none.
        List<Path> inputs = new ArrayList<>(CommandFiles.of(CommandFiles.model(modelPath, tokenizer), calibPath, evalPath, fisher));
        if (!taskList.isEmpty()) inputs.addAll(CommandFiles.model(tasksPath, null));
        MspRun.Outcome o;
        try (OutputSet outs = OutputSet.begin(inputs, force)) {
            Path staged = outs.directory(dir, "--out");
            try (BlockSource source = MappedBlockSource.open(modelPath, tokenizer)) {
                dev.mixprune.run.Recipe.write(recipe, staged.resolve("recipe.json"));
                MspRun.Settings s = new MspRun.Settings(m, sparsity, pattern, step, gran, List.copyOf(allocations),
                        calibPath, evalPath, nsamples, fisherSamples, fisher, seed, search, fitnessWindows, staged, !noModels, command,
                        taskList, docLimit, tasksPath, seqlen, evalWindows, maxBytes, workDir, recoverSteps);
                try (Coordinator co = cluster.join(log::println)) {
                    o = MspRun.run(source, s, ProgressFactory.forCli(compute.quiet()), log, co);
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
        so.printf("wrote %s: recipe.json, manifest.json, results.json, fisher.json, %s, report.html%s%n", dir,
                String.join(", ", allocations.stream().map(a -> "plan-" + a + ".json").toList()),
                noModels ? "" : ", model-*" );
        return 0;
    }
}
