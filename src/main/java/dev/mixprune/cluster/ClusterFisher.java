package dev.mixprune.cluster;

import dev.mixprune.allocate.StreamingFisher;
import dev.mixprune.io.BlockSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Fisher traces with the per-window gradients computed by the workers of a cluster: the windows
 * are cut into ranges, each range is one task ({@link FisherTask}, pulled by whichever worker is
 * free), and the per-window results are put back in window order, so that
 * {@link dev.mixprune.allocate.FisherReport#fromWindows} reduces exactly what one machine would
 * (protocols.md F; the report is byte-identical).
 */
public final class ClusterFisher implements StreamingFisher.Windows {
    private final Coordinator coordinator;
    private final Path model;

    /** @param model the file the traces are computed on (each worker opens its own copy, checked by checksum) */
    public ClusterFisher(Coordinator coordinator, Path model) {
        this.coordinator = coordinator;
        this.model = model;
    }

    @Override public StreamingFisher.PerWindow compute(BlockSource src, int[][] windows, StreamingFisher.Options o, StreamingFisher.Progress progress)
            throws IOException {
        long t0 = System.nanoTime();
        String ref = coordinator.settings().roots().refer(model);
        String sha = ModelDigest.of(model);
        SessionSpec spec = SessionSpec.modelOnly(coordinator.localUuid(), ref, sha);
        coordinator.log().accept(String.format(Locale.ROOT, "cluster %s: session %s: Fisher on %s (sha256 %s..., %.1f s), %d windows",
                coordinator.settings().name(), spec.id, ref, sha.substring(0, 12), (System.nanoTime() - t0) / 1e9, windows.length));
        try (Dispatcher d = new Dispatcher(coordinator, spec)) {
            d.awaitWorkers(1);
            // Ranges no larger than one group of the local plan (the memory a worker needs stays what one machine plans),
            // and at least two per worker present, so that faster workers can take more.
            int perGroup = StreamingFisher.plan(src.config(), windows.length, windows[0].length, o).windowsPerGroup();
            int workers = Math.max(1, coordinator.workers().size());
            int size = Math.max(1, Math.min(perGroup, (windows.length + 2 * workers - 1) / (2 * workers)));
            List<FisherTask> tasks = new ArrayList<>();
            List<Integer> firsts = new ArrayList<>();
            for (int first = 0; first < windows.length; first += size) {
                firsts.add(first);
                tasks.add(new FisherTask(d.session(), Arrays.copyOfRange(windows, first, Math.min(windows.length, first + size)), o.groupBytes(),
                        o.headChunkBytes()));
            }
            long[] done = {0};
            List<FisherTask.Result> results = d.run(tasks, (m, r) -> {
                coordinator.recordWindows(m, r.squares.length, r.nanos);
                progress.step(done[0] += r.squares.length, windows.length);
            });
            double[][] squares = new double[windows.length][];
            double[] losses = new double[windows.length];
            for (int t = 0; t < results.size(); t++) {
                FisherTask.Result r = results.get(t);
                int first = firsts.get(t);
                if (r.squares.length != tasks.get(t).windows() || r.losses.length != r.squares.length) {
                    throw new IllegalStateException("Fisher task " + t + " returned " + r.squares.length + " windows, expected " + tasks.get(t).windows());
                }
                for (int i = 0; i < r.squares.length; i++) {
                    squares[first + i] = r.squares[i];
                    losses[first + i] = r.losses[i];
                }
            }
            return new StreamingFisher.PerWindow(squares, losses);
        }
    }
}
