package dev.mixprune.eval.zeroshot;

import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.progress.Progress;
import dev.mixprune.progress.ProgressFactory;

import java.util.ArrayList;
import java.util.List;

/** Scores documents of one task: encode every choice, batch-score, then acc and acc_norm. */
public final class ZeroShotEvaluator {
    private final Tokenizer tokenizer;
    private final LoglikelihoodBackend scorer;
    private final ProgressFactory progress;

    public ZeroShotEvaluator(Tokenizer tokenizer, LoglikelihoodBackend scorer, ProgressFactory progress) {
        this.tokenizer = tokenizer;
        this.scorer = scorer;
        this.progress = progress;
    }

    /** Per-document outcome (for tests and detailed output). */
    public record DocScore(int docIndex, double[] loglikelihoods, int gold, int predAcc, int predAccNorm) {}

    public List<DocScore> scoreDocs(ZeroShotTask task, List<Doc> docs) {
        RequestEncoder enc = new RequestEncoder(tokenizer);
        List<EncodedRequest> flat = new ArrayList<>();
        try (Progress p = progress.start("tokenize " + task.id(), docs.size(), "doc")) {
            for (Doc d : docs) {
                for (Request r : d.requests()) flat.add(enc.encode(r));
                p.step(1);
            }
        }
        double[] ll;
        try (Progress p = progress.start("score " + task.id(), flat.size(), "req")) {
            ll = scorer.score(flat, p);
        }
        List<DocScore> out = new ArrayList<>(docs.size());
        int k = 0;
        for (Doc d : docs) {
            double[] l = new double[d.requests().size()];
            for (int i = 0; i < l.length; i++) l[i] = ll[k++];
            int norm = task.hasAccNorm() ? Metrics.predictAccNorm(l, d.choices()) : -1;
            out.add(new DocScore(d.index(), l, d.gold(), Metrics.predictAcc(l), norm));
        }
        return out;
    }

    public TaskResult evaluate(ZeroShotTask task, List<Doc> docs) {
        return summarize(task, docs, scoreDocs(task, docs));
    }

    static TaskResult summarize(ZeroShotTask task, List<Doc> docs, List<DocScore> scores) {
        int n = scores.size(), acc = 0, accNorm = 0;
        double chance = 0;
        for (int i = 0; i < n; i++) {
            DocScore s = scores.get(i);
            if (s.predAcc() == s.gold()) acc++;
            if (s.predAccNorm() == s.gold()) accNorm++;
            chance += 1.0 / docs.get(i).requests().size();
        }
        double nan = Double.NaN;
        return new TaskResult(task.id(), n, (double) acc / n, Metrics.stderr(acc, n),
                task.hasAccNorm() ? (double) accNorm / n : nan, task.hasAccNorm() ? Metrics.stderr(accNorm, n) : nan, chance / n);
    }
}
