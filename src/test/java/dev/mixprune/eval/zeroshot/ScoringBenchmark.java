package dev.mixprune.eval.zeroshot;

import dev.mixprune.SharedFiles;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.model.LlamaForward;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Side-by-side CPU time of the batched scorer and of one forward per request on stories260K
 * (prints ratios; asserts nothing about time). Tagged slow (excluded from mvn test); run it with
 * {@code java -cp target/test-classes:target/classes:$(mvn -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout)
 * --add-modules jdk.incubator.vector dev.mixprune.eval.zeroshot.ScoringBenchmark}.
 */
@Tag("slow")
public class ScoringBenchmark {
    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    public static void main(String[] args) throws Exception { new ScoringBenchmark().batchedVersusOnePerRequest(); }

    @Test
    void batchedVersusOnePerRequest() throws Exception {
        LoadedModel m = ModelLoader.load(SharedFiles.require(SharedFiles.stories260KBin()), SharedFiles.tok512());
        SequenceScorer model = new LlamaSequenceScorer(m.weights());
        for (ZeroShotTask t : List.of(ZeroShotTask.ARC_EASY, ZeroShotTask.HELLASWAG, ZeroShotTask.BOOLQ)) {
            List<Doc> docs = DocSelection.HARNESS_SHUFFLE.select(TaskLoader.load(t, SharedFiles.resolve("data/tasks")), 100);
            RequestEncoder enc = new RequestEncoder(m.requireTokenizer());
            List<EncodedRequest> reqs = new ArrayList<>();
            for (Doc d : docs) for (Request r : d.requests()) reqs.add(enc.encode(r));
            for (int rep = 0; rep < 1; rep++) {
                long a0 = cpu(), v0 = System.nanoTime();
                double[] cached = new CachedContextScorer(m.weights(), new LoglikelihoodScorer(model)).score(reqs, null);
                long a1 = cpu(), v1 = System.nanoTime();
                long c0 = cpu(), w0 = System.nanoTime();
                double[] batched = new LoglikelihoodScorer(model).score(reqs, null);
                long c1 = cpu(), w1 = System.nanoTime();
                double maxDiff = 0;
                long tokens = 0;
                for (int i = 0; i < reqs.size(); i++) {
                    LoglikelihoodScorer.Input in = LoglikelihoodScorer.input(reqs.get(i), model.maxLength());
                    tokens += in.tokens().length;
                    Matrix lg = LlamaForward.logits(m.weights(), in.tokens());
                    maxDiff = Math.max(maxDiff, Math.abs(LoglikelihoodScorer.continuationLogLikelihood(lg, in) - batched[i]));
                }
                long c2 = cpu(), w2 = System.nanoTime();
                double cachedDiff = 0;
                for (int i = 0; i < reqs.size(); i++) cachedDiff = Math.max(cachedDiff, Math.abs(cached[i] - batched[i]));
                System.out.printf(java.util.Locale.ROOT,
                        "SCORING %-10s cached-context cpu %.2fs wall %.2fs | vs batched: cpu ratio %.2fx, wall ratio %.2fx, max |dll| %.2e%n",
                        t.id(), (a1 - a0) / 1e9, (v1 - v0) / 1e9, (double) (c1 - c0) / (a1 - a0), (double) (w1 - w0) / (v1 - v0), cachedDiff);
                System.out.printf(java.util.Locale.ROOT,
                        "SCORING %-10s %4d req %7d tok: batched cpu %.2fs wall %.2fs | one-per-request cpu %.2fs wall %.2fs | cpu ratio %.2fx, wall ratio %.2fx, max |dll| %.2e%n",
                        t.id(), reqs.size(), tokens, (c1 - c0) / 1e9, (w1 - w0) / 1e9, (c2 - c1) / 1e9, (w2 - w1) / 1e9,
                        (double) (c2 - c1) / (c1 - c0), (double) (w2 - w1) / (w1 - w0), maxDiff);
            }
        }
    }
}
