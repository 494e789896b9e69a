package dev.mixprune.eval.zeroshot;

import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.progress.ProgressFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Several tasks on one model with the default scorer (cached contexts over batched forwards). */
public final class ZeroShotSuite {
    private ZeroShotSuite() {}

    /** The default backend for a model: shared contexts from a KV cache where cheaper, batched forwards otherwise. */
    public static LoglikelihoodBackend defaultBackend(LlamaWeights w) {
        return new CachedContextScorer(w, new LoglikelihoodScorer(new LlamaSequenceScorer(w)));
    }

    /** Runs every task (the documents {@code limit} asks for, picked by {@code selection}) and returns the rows. */
    public static List<EvalReport.TaskRow> run(Tokenizer tok, LoglikelihoodBackend backend, List<ZeroShotTask> tasks, Path tasksDir,
                                               EvalLimit limit, DocSelection selection, ProgressFactory progress) throws IOException {
        ZeroShotEvaluator evaluator = new ZeroShotEvaluator(tok, backend, progress);
        List<EvalReport.TaskRow> rows = new ArrayList<>();
        for (ZeroShotTask t : tasks) {
            long t0 = System.nanoTime();
            List<Doc> all = TaskLoader.load(t, tasksDir);
            List<Doc> docs = selection.select(all, limit.documents(all.size()));
            rows.add(new EvalReport.TaskRow(evaluator.evaluate(t, docs), all.size(), (System.nanoTime() - t0) / 1e9));
        }
        return rows;
    }
}
