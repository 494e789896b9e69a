package dev.mixprune.cluster;

import dev.mixprune.allocate.CandidateEvaluator;
import dev.mixprune.allocate.KlFitness;
import dev.mixprune.allocate.TokenSample;
import dev.mixprune.resources.ResourcePlan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A search's candidates evaluated on the workers of a cluster ({@link Dispatcher}: pull model,
 * results by candidate index, faults absorbed). The session ships the fitness's snapshot (level
 * masks, dense targets) so that every worker evaluates exactly what this process would.
 */
final class ClusterEvaluator implements CandidateEvaluator {
    private final Coordinator coordinator;
    private final Dispatcher dispatcher;

    private ClusterEvaluator(Coordinator coordinator, Dispatcher dispatcher) {
        this.coordinator = coordinator;
        this.dispatcher = dispatcher;
    }

    /**
     * Writes the session's artifacts (the fitness's snapshot) into {@code scratch}, registers them
     * for the workers to fetch, and waits until {@code readyWorkers} workers are ready.
     */
    static ClusterEvaluator open(Coordinator c, Path model, KlFitness fitness, Path scratch, int readyWorkers) throws IOException {
        long t0 = System.nanoTime();
        String ref = c.settings().roots().refer(model);
        String sha = ModelDigest.of(model);
        double hashSecs = (System.nanoTime() - t0) / 1e9;
        KlFitness.Snapshot snap = fitness.snapshot(scratch);
        Path header = scratch.resolve("masks-header.bin");
        Files.write(header, snap.masks().header());
        Map<String, Path> files = new LinkedHashMap<>();
        files.put(SessionSpec.MASKS_HEADER, header);
        if (snap.masks().data() != null) files.put(SessionSpec.MASKS_DATA, snap.masks().data());
        if (snap.targets() != null) files.put(SessionSpec.DENSE_TARGETS, snap.targets());
        List<SessionSpec.Artifact> artifacts = new ArrayList<>();
        long bytes = 0;
        for (Map.Entry<String, Path> e : files.entrySet()) {
            long size = Files.size(e.getValue());
            bytes += size;
            artifacts.add(new SessionSpec.Artifact(e.getKey(), size, ModelDigest.of(e.getValue())));
        }
        SessionSpec spec = SessionSpec.search(c.localUuid(), ref, sha, snap.windows(), snap.options(), snap.dataId(), fitness.describe(),
                snap.heapLimit(), artifacts);
        c.artifacts().register(spec.id, files);
        c.log().accept(String.format(Locale.ROOT, "cluster %s: session %s: model %s (sha256 %s..., %.1f s), %s of artifacts for the workers",
                c.settings().name(), spec.id, ref, sha.substring(0, 12), hashSecs, ResourcePlan.human(bytes)));
        Dispatcher d = new Dispatcher(c, spec);
        try {
            d.awaitWorkers(readyWorkers);
        } catch (RuntimeException ex) {
            d.close();
            throw ex;
        }
        return new ClusterEvaluator(c, d);
    }

    @Override public double[] evaluate(List<int[]> genomes, TokenSample sample) {
        List<EvaluateTask> tasks = new ArrayList<>(genomes.size());
        for (int[] g : genomes) tasks.add(new EvaluateTask(dispatcher.session(), g, sample));
        List<EvaluateTask.Evaluated> r = dispatcher.run(tasks, (m, e) -> coordinator.recordEvaluation(m, e.nanos));
        double[] out = new double[r.size()];
        for (int i = 0; i < out.length; i++) out[i] = r.get(i).value;
        return out;
    }

    @Override public void close() { dispatcher.close(); }
}
