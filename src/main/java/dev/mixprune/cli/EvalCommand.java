package dev.mixprune.cli;

import dev.mixprune.UsageException;
import dev.mixprune.BadInputException;
import dev.mixprune.SharedFiles;
import dev.mixprune.data.Corpus;
import dev.mixprune.data.TokenStream;
import dev.mixprune.eval.Perplexity;
import dev.mixprune.eval.PerplexityResult;
import dev.mixprune.eval.zeroshot.CachedContextScorer;
import dev.mixprune.eval.zeroshot.Doc;
import dev.mixprune.eval.zeroshot.DocSelection;
import dev.mixprune.eval.zeroshot.EvalLimit;
import dev.mixprune.eval.zeroshot.EvalReport;
import dev.mixprune.eval.zeroshot.LlamaSequenceScorer;
import dev.mixprune.eval.zeroshot.LoglikelihoodBackend;
import dev.mixprune.eval.zeroshot.LoglikelihoodScorer;
import dev.mixprune.eval.zeroshot.SequenceScorer;
import dev.mixprune.eval.zeroshot.TaskLoader;
import dev.mixprune.eval.zeroshot.TaskResult;
import dev.mixprune.eval.zeroshot.ZeroShotEvaluator;
import dev.mixprune.eval.zeroshot.ZeroShotTask;
import dev.mixprune.io.OutputSet;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.progress.Progress;
import dev.mixprune.progress.ProgressFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * {@code eval}: zero-shot accuracy (lm-evaluation-harness semantics, docs/evaluation.md) and
 * perplexity of one model. Table on stdout (or JSON with --json), JSON file with --out.
 */
@Command(name = "eval",
        description = "Zero-shot accuracy (boolq, rte, hellaswag, winogrande, arc_easy, arc_challenge, openbookqa, piqa) and perplexity.")
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model: llama2.c .bin, .gguf (also packed) or an HF directory") Path model;
    @Option(names = "--tokenizer", description = "tokenizer for llama2.c .bin models (default: tok512.bin or tokenizer.bin beside the model)") Path tokenizer;
    @Option(names = "--tasks", split = ",", description = "comma-separated task names or 'all' (default: all; 'none' with --ppl only)")
    List<String> tasks = List.of("all");
    @Option(names = "--tasks-dir", description = "folder of the task .jsonl files (default: <shared>/data/tasks)") Path tasksDir;
    @Option(names = "--ppl", arity = "1..*", description = "text files to measure perplexity on (docs/protocols.md P; default: none)") List<Path> pplFiles = new ArrayList<>();
    @Option(names = "--limit", paramLabel = "N|FRACTION",
            description = "documents per task as lm-eval takes it: a count (200) or a fraction below 1 (0.1 = 10%%, rounded up); "
                    + "picked after the harness's Random(42) shuffle unless --limit-order file (default: all)")
    String limit;
    @Option(names = "--limit-order", description = "which N documents --limit takes: harness (df3da98 shuffle, default) or file (first N)")
    String limitOrder = "harness";
    @Option(names = "--batch-logits", description = "max logits (tokens x vocab) per forward call (default: ${DEFAULT-VALUE})")
    long batchLogits = LoglikelihoodScorer.DEFAULT_BATCH_LOGITS;
    @Option(names = "--batch-seqs", description = "max sequences per forward call (default: ${DEFAULT-VALUE})")
    int batchSeqs = LoglikelihoodScorer.DEFAULT_BATCH_SEQUENCES;
    @Option(names = "--scoring", description = "cached (shared contexts run once from a KV cache when that saves work; default) or batched")
    String scoring = "cached";
    @Option(names = "--json", description = "print JSON on stdout instead of the table") boolean json;
    @Option(names = "--out", description = "also write the results, in lm-evaluation-harness's results layout, to this file (e.g. RUN_DIR/eval.json; default: not written)") Path out;
    @Mixin ComputeOptions compute = new ComputeOptions();

    /** Perplexity of one file under the model; the default is {@link #perplexityOf}. */
    @FunctionalInterface
    interface PerplexityRunner {
        EvalReport.PplRow run(LoadedModel model, Path file, ProgressFactory progress) throws IOException;
    }

    private final Function<LoadedModel, SequenceScorer> scorers;
    private final PerplexityRunner perplexity;
    private final PrintStream stdout;

    public EvalCommand() { this(m -> new LlamaSequenceScorer(m.weights()), EvalCommand::perplexityOf, System.out); }

    /** For tests: another model behind the scorer, another perplexity, captured stdout. */
    EvalCommand(Function<LoadedModel, SequenceScorer> scorers, PerplexityRunner perplexity, PrintStream stdout) {
        this.scorers = scorers;
        this.perplexity = perplexity;
        this.stdout = stdout;
    }

    /** Protocol P at the model's context length, as {@code mixprune ppl} computes it. */
    static EvalReport.PplRow perplexityOf(LoadedModel m, Path file, ProgressFactory progress) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        int seqLen = m.weights().config().seqLen();
        int[] ids;
        try (Progress p = progress.start("ppl tokenize " + file.getFileName(), 0, "file")) {
            ids = TokenStream.of(Corpus.read(file), m.requireTokenizer()).toArray();
            p.step(1);
        }
        if (ids.length < seqLen) throw new BadInputException(file + ": " + ids.length + " tokens, fewer than one window of " + seqLen);
        PerplexityResult r;
        try (Progress p = progress.start("ppl " + file.getFileName(), ids.length / seqLen, "window")) {
            r = Perplexity.compute(m.weights(), ids, seqLen);
            p.step(r.windows());
        }
        return new EvalReport.PplRow(file.toString(), r.ppl(), r.windows(), r.tokensScored(), r.seqLen());
    }

    /** Task list from --tasks: names, 'all', or 'none'; duplicates dropped, order kept. */
    static List<ZeroShotTask> parseTasks(List<String> names) {
        Set<ZeroShotTask> r = new LinkedHashSet<>();
        for (String n : names) {
            String t = n.trim().toLowerCase(java.util.Locale.ROOT);
            if (t.isEmpty()) continue;
            if (t.equals("all")) r.addAll(List.of(ZeroShotTask.values()));
            else if (!t.equals("none")) r.add(ZeroShotTask.byId(t));
        }
        return List.copyOf(r);
    }

    static DocSelection parseOrder(String s) {
        return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "harness", "shuffle" -> DocSelection.HARNESS_SHUFFLE;
            case "file" -> DocSelection.FILE_ORDER;
            default -> throw UsageException.option("--limit-order", "expected 'harness' or 'file', got '" + s + "'");
        };
    }

    @Override public Integer call() throws Exception {
        if (!scoring.equals("cached") && !scoring.equals("batched")) throw UsageException.option("--scoring", "expected 'cached' or 'batched', got '" + scoring + "'");
        EvalLimit docLimit = UsageException.fromOption("--limit", () -> EvalLimit.parse(limit));
        List<ZeroShotTask> todo = UsageException.fromOption("--tasks", () -> parseTasks(tasks));
        DocSelection selection = parseOrder(limitOrder);
        if (todo.isEmpty() && pplFiles.isEmpty()) throw new UsageException("nothing to do: --tasks none and no --ppl files");
        Path dir = tasksDir != null ? tasksDir : SharedFiles.resolve("data/tasks");
        java.util.List<Path> inputs = new ArrayList<>(CommandFiles.of(CommandFiles.model(model, tokenizer), dir));
        inputs.addAll(CommandFiles.model(dir, null));
        inputs.addAll(pplFiles);
        try (OutputSet outs = out == null ? null : OutputSet.begin(inputs, false)) {
            Path staged = outs == null ? null : outs.file(out, OutputSet.Existing.REPLACE, "--out");
            ProgressFactory progress = ProgressFactory.forCli(compute.quiet());

            double date = System.currentTimeMillis() / 1000.0;
            long t0 = System.nanoTime();
            LoadedModel m = ModelLoader.loadForInference(model, tokenizer);
            Tokenizer tok = m.requireTokenizer();
            List<EvalReport.PplRow> ppl = new ArrayList<>();
            for (Path f : pplFiles) ppl.add(perplexity.run(m, f, progress));

            LoglikelihoodScorer batched = new LoglikelihoodScorer(scorers.apply(m), batchLogits, batchSeqs);
            LoglikelihoodBackend backend = switch (scoring.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "cached" -> new CachedContextScorer(m.weights(), batched);
                case "batched" -> batched;
                default -> throw UsageException.option("--scoring", "expected 'cached' or 'batched', got '" + scoring + "'");
            };
            List<EvalReport.TaskRow> rows = dev.mixprune.eval.zeroshot.ZeroShotSuite.run(tok, backend, todo, dir, docLimit, selection, progress);
            String modelArgs = "pretrained=" + model + (tokenizer != null ? ",tokenizer=" + tokenizer : "") + ",scoring=" + scoring
                    + ",batch_seqs=" + batchSeqs + ",batch_logits=" + batchLogits;
            EvalReport report = new EvalReport(model.toString(), modelArgs, docLimit,
                    selection == DocSelection.HARNESS_SHUFFLE ? "harness-shuffle" : "file-order", rows, ppl, date, (System.nanoTime() - t0) / 1e9);
            if (staged != null) {
                Files.write(staged, report.toJsonString().getBytes(StandardCharsets.UTF_8));
                outs.commit();
            }
            stdout.print(json ? report.toJsonString() : report.table());
            stdout.flush();
        }
        return Main.EXIT_OK;
    }
}
