package dev.mixprune.allocate;

import dev.mixprune.BadInputException;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.tensor.Matrix;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Path;

/**
 * How a search candidate's layer gets the weights of its level, with no per-weight state kept:
 * {@link ScoredLevels} (magnitude, Wanda) derives the mask on the fly from the weights and small
 * precomputed statistics, {@link LevelDatabase} (SparseGPT, whose kept weights change) reads the
 * level's pruned matrix back from disk. Candidates are evaluated block by block, each layer a
 * private float32 copy of the dense weights that {@link #apply} turns into its level in place.
 */
public sealed interface LevelMasks extends AutoCloseable permits ScoredLevels, LevelDatabase {

    SearchSpace space();

    /** Turns {@code w}, a private copy of the dense weights of {@code id}, into the weights of {@code level}. */
    void apply(LayerId id, int level, Matrix w);

    /** Short name for the fitness description (checkpoint fingerprint). */
    String describe();

    /** Scratch bytes on disk. */
    long diskBytes();

    @Override void close();

    /**
     * What another process needs to rebuild these masks bit for bit (a cluster member evaluating
     * candidates): {@code header} holds the level alphabet, the granularity and the small state
     * (Wanda's sqrt(scaler_row) per block input, offsets into the scratch file); {@code data} is the
     * scratch file itself (cuts or the level database; null when there is none). See {@link #restore}.
     */
    record Portable(byte[] header, Path data) {}

    /** This object's {@link Portable} form (the data file must stay in place while it is used). */
    Portable portable();

    /**
     * The masks described by {@code header}, reading {@code data} (a copy of the original scratch
     * file), for a model of shape {@code config}. Refuses a header for another shape or version.
     */
    static LevelMasks restore(LlamaConfig config, byte[] header, Path data) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(header));
        if (in.readInt() != LevelMasksHeader.MAGIC || in.readInt() != LevelMasksHeader.VERSION) throw new BadInputException("not a level-masks header of version " + LevelMasksHeader.VERSION);
        int kind = in.readByte();
        Levels levels = LevelMasksHeader.readLevels(in);
        Granularity granularity = Granularity.valueOf(in.readUTF());
        SearchSpace space = new SearchSpace(config, levels, granularity);
        return switch (kind) {
            case LevelMasksHeader.SCORED -> ScoredLevels.restore(space, in, data);
            case LevelMasksHeader.DATABASE -> LevelDatabase.restore(space, in, data);
            default -> throw new BadInputException("level-masks header: unknown kind " + kind);
        };
    }
}
