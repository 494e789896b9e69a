package dev.mixprune.allocate;

import dev.mixprune.BadInputException;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.io.TensorDType;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.resources.HeapGuard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a cluster worker rebuilds from the coordinator's files ({@link KlFitness#snapshot} /
 * {@link KlFitness#restore}, {@link LevelMasks#portable}, {@link DenseTargets#write}) evaluates
 * every genome to exactly the original's value: Wanda and magnitude (unstructured cuts, N:M without
 * state), SparseGPT's level database, top-k, exact and PPL fitness.
 */
class KlFitnessSnapshotTest {
    static final LlamaConfig C = KlFitnessTest.C;

    record Case(PruneMethod method, Levels levels, KlFitness.Kind kind, int topK) {}

    @Test
    void aRestoredFitnessEvaluatesEveryGenomeToTheSameBits(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.gguf");
        ModelWriter.write(KlFitnessTest.model(3), null, null, file, ModelFormat.GGUF, TensorDType.F32);
        List<int[]> stats = KlFitnessTest.windows(4, 16, 5), fit = KlFitnessTest.windows(6, 16, 6);
        List<Case> cases = List.of(
                new Case(PruneMethod.WANDA, Levels.unstructured(0.1), KlFitness.Kind.KL, 8),
                new Case(PruneMethod.WANDA, Levels.nm(4), KlFitness.Kind.KL, 0),
                new Case(PruneMethod.MAGNITUDE, Levels.unstructured(0.1), KlFitness.Kind.PPL, 0),
                new Case(PruneMethod.SPARSEGPT, Levels.unstructured(0.25), KlFitness.Kind.KL, 8));
        int n = 0;
        for (Case k : cases) {
            Path work = Files.createDirectories(dir.resolve("case" + n++));
            SearchSpace sp = new SearchSpace(C, k.levels(), Granularity.LAYER);
            try (MappedBlockSource src = MappedBlockSource.openWeights(file); LevelMasks masks = masks(src, sp, k.method(), stats, work)) {
                KlFitness original = new KlFitness(src, masks, fit, KlFitnessTest.opts(k.kind(), k.topK(), 10), "data", new HeapGuard(1L << 30));
                KlFitness.Snapshot snap = original.snapshot(work);
                assertThat(snap.heapLimit()).isEqualTo(1L << 30);
                // The worker's copies of the files, not the originals.
                Path copies = Files.createDirectories(work.resolve("copies"));
                Path data = snap.masks().data() == null ? null : Files.copy(snap.masks().data(), copies.resolve("masks.bin"));
                Path targets = snap.targets() == null ? null : Files.copy(snap.targets(), copies.resolve("targets.bin"));
                KlFitness.Snapshot copied = new KlFitness.Snapshot(snap.windows(), snap.options(), snap.dataId(),
                        new LevelMasks.Portable(snap.masks().header().clone(), data), targets, snap.heapLimit());
                try (MappedBlockSource src2 = MappedBlockSource.openWeights(file)) {
                    KlFitness restored = KlFitness.restore(src2, copied);
                    assertThat(restored.describe()).isEqualTo(original.describe());
                    Random r = new Random(11);
                    for (int i = 0; i < 6; i++) {
                        int[] g = KlFitnessTest.randomGenome(sp, r);
                        TokenSample s = TokenSample.draw(fit.size(), 16, 40, new Rng(i));
                        assertThat(restored.evaluate(g, s)).as(k + " genome " + i).isEqualTo(original.evaluate(g, s));
                    }
                    restored.closeMasks();
                }
            }
        }
    }

    static LevelMasks masks(BlockSource src, SearchSpace sp, PruneMethod m, List<int[]> stats, Path work) throws Exception {
        if (m == PruneMethod.SPARSEGPT) {
            LevelDatabase.Builder b = new LevelDatabase.Builder(sp, LevelDatabase.Storage.F32, LevelDatabase.sparseGpt(s -> { }), work.resolve("levels.bin"));
            DenseStatistics.run(src, stats, true, 2, HeapGuard.none(), b);
            return b.finish();
        }
        ScoredLevels.Builder b = new ScoredLevels.Builder(sp, m, work.resolve("cuts.bin"));
        DenseStatistics.run(src, stats, false, 2, HeapGuard.none(), b);
        return b.finish();
    }

    @Test
    void headersAndTargetsForAnotherShapeAreRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.gguf");
        ModelWriter.write(KlFitnessTest.model(3), null, null, file, ModelFormat.GGUF, TensorDType.F32);
        List<int[]> stats = KlFitnessTest.windows(4, 16, 5), fit = KlFitnessTest.windows(6, 16, 6);
        SearchSpace sp = new SearchSpace(C, Levels.unstructured(0.1), Granularity.LAYER);
        try (MappedBlockSource src = MappedBlockSource.openWeights(file); LevelMasks masks = masks(src, sp, PruneMethod.WANDA, stats, dir)) {
            KlFitness original = new KlFitness(src, masks, fit, KlFitnessTest.opts(KlFitness.Kind.KL, 8, 10), "data", HeapGuard.none());
            KlFitness.Snapshot snap = original.snapshot(dir);
            LlamaConfig wider = new LlamaConfig(16, 20, 3, 2, 1, 37, 16, 1e-5f, 10000f, false);
            assertThatThrownBy(() -> LevelMasks.restore(wider, snap.masks().header(), snap.masks().data()))
                    .isInstanceOf(BadInputException.class).hasMessageContaining("Wanda norms");
            assertThatThrownBy(() -> DenseTargets.read(snap.targets(), 7, 16, 37))
                    .isInstanceOf(BadInputException.class).hasMessageContaining("expected 7 x 16");
            byte[] junk = snap.masks().header().clone();
            junk[0] ^= 1;
            assertThatThrownBy(() -> LevelMasks.restore(C, junk, snap.masks().data())).isInstanceOf(BadInputException.class);
        }
    }
}
