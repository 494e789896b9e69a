package dev.mixprune.allocate;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.InputGroup;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.InputStats;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.SparseGptOptions;
import dev.mixprune.prune.SparseGptPruner;
import dev.mixprune.resources.SpillFile;
import dev.mixprune.tensor.Matrix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * EvoPress's level database (algorithms.md §6.1) for methods whose masks are not a threshold on
 * fixed scores (SparseGPT updates the kept weights): every layer is pruned once per level of the
 * search space, from the same dense weights and the same dense-propagated statistics, and stored in
 * a scratch file; a candidate's layer is read back from it. Bounded: it is built block by block
 * from the statistics pass (one block's Hessians in memory at a time), stores only the levels of
 * the space (narrow them with the search's level window), and stores them in the model's own float
 * type when that is F16 (what {@code prune} would write), else in F32; disk = prunable weights x
 * levels x 2 or 4 bytes, reported and checked before it is built.
 */
public final class LevelDatabase implements LevelMasks {
    /** Prunes a private copy of one layer's dense weights to one pattern, in place (SparseGPT by default). */
    @FunctionalInterface
    public interface LayerLevelPruner {
        void prune(LayerId id, Matrix w, Pattern pattern, InputStats stats);
    }

    /** How levels are stored: F16 halves the disk and is what an F16 model is written as. */
    public enum Storage {
        F32(4), F16(2);
        final int bytes;

        Storage(int bytes) { this.bytes = bytes; }

        public int bytes() { return bytes; }
    }

    private final SearchSpace space;
    private final Storage storage;
    private final SpillFile file;
    private final long[][] offsets; // [layer][level]
    private final ThreadLocal<ByteBuffer> scratch = ThreadLocal.withInitial(() -> ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN));
    private static final int CHUNK = 4 << 20;

    private LevelDatabase(SearchSpace space, Storage storage, SpillFile file, long[][] offsets) {
        this.space = space;
        this.storage = storage;
        this.file = file;
        this.offsets = offsets;
    }

    public static long bytes(SearchSpace space, Storage storage) {
        return space.config().prunableTotal() * space.levels().count() * storage.bytes;
    }

    /** The default pruner: the prune package's SparseGPT with its default options. */
    public static LayerLevelPruner sparseGpt(Consumer<String> warnings) {
        SparseGptPruner p = new SparseGptPruner(SparseGptOptions.defaults().withWarnings(warnings));
        return (id, w, pattern, stats) -> p.prune(w, pattern, stats);
    }

    /** Fills the database block by block from the dense statistics pass (statistics with Gram matrices). */
    public static final class Builder implements DenseStatistics.Consumer {
        private final SearchSpace space;
        private final Storage storage;
        private final LayerLevelPruner pruner;
        private final SpillFile file;
        private final long[][] offsets;
        private int blocks;

        public Builder(SearchSpace space, Storage storage, LayerLevelPruner pruner, Path file) throws java.io.IOException {
            this.space = space;
            this.storage = storage;
            this.pruner = pruner;
            this.file = new SpillFile(file);
            this.offsets = new long[space.config().nLayers() * LayerKind.values().length][];
        }

        @Override public void accept(int block, BlockWeights dense, Map<InputGroup, InputStats> stats) {
            for (LayerKind k : LayerKind.values()) {
                LayerId id = new LayerId(block, k);
                Matrix d = dense.linear(k);
                long[] at = new long[space.levels().count()];
                for (int l = 0; l < at.length; l++) {
                    Matrix m = d.copy();
                    pruner.prune(id, m, space.levels().pattern(l), stats.get(k.input()));
                    at[l] = write(file, storage, m);
                }
                offsets[block * LayerKind.values().length + k.ordinal()] = at;
            }
            blocks++;
        }

        public LevelDatabase finish() {
            if (blocks != space.config().nLayers()) throw new IllegalStateException("level database has " + blocks + " of " + space.config().nLayers() + " blocks");
            return new LevelDatabase(space, storage, file, offsets);
        }

        /** On failure: the file is closed (its work directory deletes it). */
        public void abandon() { file.close(); }
    }

    private static long write(SpillFile file, Storage storage, Matrix m) {
        float[] d = m.data();
        long first = -1;
        int per = CHUNK / storage.bytes;
        ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (int i0 = 0; i0 < d.length; i0 += per) {
            int n = Math.min(per, d.length - i0);
            buf.clear();
            if (storage == Storage.F32) for (int i = 0; i < n; i++) buf.putFloat(d[i0 + i]);
            else for (int i = 0; i < n; i++) buf.putShort(Float.floatToFloat16(d[i0 + i]));
            buf.flip();
            long at = file.append(buf);
            if (first < 0) first = at;
        }
        return first < 0 ? file.size() : first;
    }

    @Override public SearchSpace space() { return space; }

    public Storage storage() { return storage; }

    @Override public String describe() { return "database-" + storage.name().toLowerCase(java.util.Locale.ROOT); }

    @Override public long diskBytes() { return file.size(); }

    /** Overwrites {@code w} with the stored level (w's dense values are not used). */
    @Override public void apply(LayerId id, int level, Matrix w) {
        read(offsets[id.block() * LayerKind.values().length + id.kind().ordinal()][level], w.data());
    }

    /** The stored level as a new matrix. */
    public Matrix get(LayerId id, int level) {
        LlamaConfig c = space.config();
        Matrix m = new Matrix(c.rowsOf(id.kind()), c.colsOf(id.kind()));
        apply(id, level, m);
        return m;
    }

    private void read(long offset, float[] out) {
        ByteBuffer buf = scratch.get();
        int per = CHUNK / storage.bytes;
        long pos = offset;
        for (int i0 = 0; i0 < out.length; i0 += per) {
            int n = Math.min(per, out.length - i0);
            buf.clear().limit(n * storage.bytes);
            file.read(pos, buf);
            pos += (long) n * storage.bytes;
            buf.flip();
            if (storage == Storage.F32) for (int i = 0; i < n; i++) out[i0 + i] = buf.getFloat();
            else for (int i = 0; i < n; i++) out[i0 + i] = Float.float16ToFloat(buf.getShort());
        }
    }

    @Override public void close() { file.close(); }

    @Override public Portable portable() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = LevelMasksHeader.start(bytes, LevelMasksHeader.DATABASE, space)) {
            out.writeUTF(storage.name());
            LevelMasksHeader.writeOffsets(out, offsets);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return new Portable(bytes.toByteArray(), file.path());
    }

    /** The rest of a {@link #portable} header, after the shared part. */
    static LevelDatabase restore(SearchSpace space, java.io.DataInputStream in, Path data) throws java.io.IOException {
        Storage storage = Storage.valueOf(in.readUTF());
        long[][] offsets = LevelMasksHeader.readOffsets(in, space.config().nLayers() * LayerKind.values().length, space.levels().count());
        if (data == null) throw new IllegalArgumentException("the level database file is missing");
        long need = bytes(space, storage);
        SpillFile f = SpillFile.openExisting(data);
        if (f.size() != need) {
            f.close();
            throw dev.mixprune.BadInputException.in(data, "level database of " + f.size() + " bytes, expected " + need);
        }
        return new LevelDatabase(space, storage, f, offsets);
    }
}
