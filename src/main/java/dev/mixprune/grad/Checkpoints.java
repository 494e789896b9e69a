package dev.mixprune.grad;

import dev.mixprune.BadInputException;
import dev.mixprune.tensor.Matrix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * The input of every block for one batch of sequences, saved during the forward and read back,
 * block by block in reverse, during the backward (which recomputes each block's forward from it).
 * Held in memory when small; otherwise in a temporary file, memory-mapped, whose pages are handed
 * back to the kernel after every write and read, so the resident size does not grow with the
 * number of blocks. The file is unlinked as soon as it is mapped (where the file system allows):
 * it vanishes when the mapping closes, and also if the process dies; {@link #close} removes it
 * otherwise.
 */
public interface Checkpoints extends AutoCloseable {
    /** Saves block {@code block}'s input (a copy is kept). */
    void put(int block, Matrix x);

    /** Copies block {@code block}'s saved input into {@code into} (same shape as when saved). */
    void get(int block, Matrix into);

    /** Releases the memory or deletes the file. */
    @Override
    void close();

    /** Bytes of one batch's checkpoints: one input [rows][dim] per block. */
    static long bytesFor(int blocks, int rows, int dim) {
        return 4L * blocks * rows * dim;
    }

    /** In memory: one array per block. */
    static Checkpoints inMemory(int blocks) {
        return new Checkpoints() {
            private final float[][] saved = new float[blocks][];

            @Override public void put(int block, Matrix x) { saved[block] = x.data().clone(); }

            @Override public void get(int block, Matrix into) {
                float[] s = saved[block];
                if (s == null || s.length != into.size()) throw new IllegalStateException("no checkpoint of " + into.shape() + " for block " + block);
                System.arraycopy(s, 0, into.data(), 0, s.length);
            }

            @Override public void close() { java.util.Arrays.fill(saved, null); }
        };
    }

    /**
     * In a temporary file in {@code dir} with room for {@code blocks} inputs of {@code rows x dim}
     * floats. Checks the free space first (a clear error naming the directory rather than a
     * failure half-way).
     */
    static Checkpoints tempFile(Path dir, int blocks, int rows, int dim) {
        return MappedCheckpoints.create(dir, blocks, rows, dim);
    }

    /** The temp-file implementation. */
    final class MappedCheckpoints implements Checkpoints {
        private final Path file;
        private final Arena arena;
        private final FileChannel channel;
        private final MemorySegment map;
        private final long slotBytes;
        private final boolean unlinked;

        private MappedCheckpoints(Path file, Arena arena, FileChannel channel, MemorySegment map, long slotBytes, boolean unlinked) {
            this.file = file;
            this.arena = arena;
            this.channel = channel;
            this.map = map;
            this.slotBytes = slotBytes;
            this.unlinked = unlinked;
        }

        static MappedCheckpoints create(Path dir, int blocks, int rows, int dim) {
            long slot = 4L * rows * dim, size = slot * blocks;
            Path file = null;
            Arena arena = null;
            FileChannel ch = null;
            try {
                Files.createDirectories(dir);
                long free = Files.getFileStore(dir).getUsableSpace();
                if (free < size) {
                    throw new BadInputException(String.format(Locale.ROOT,
                            "%s: the activation checkpoints need %.2f GB of disk (%d blocks x %d tokens x %d floats), only %.2f GB free: "
                                    + "choose another directory for them, or fewer tokens per group", dir, size / 1e9, blocks, rows, dim, free / 1e9));
                }
                file = Files.createTempFile(dir, "mixprune-checkpoints-", ".tmp");
                ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                ch.write(ByteBuffer.wrap(new byte[1]), size - 1); // sparse file of the full size
                arena = Arena.ofShared();
                MemorySegment map = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
                boolean unlinked;
                try {
                    Files.delete(file); // POSIX: the mapping keeps the space until it closes, even if the process dies
                    unlinked = true;
                } catch (IOException e) {
                    unlinked = false;   // e.g. Windows: deleted by close() instead
                    file.toFile().deleteOnExit();
                }
                return new MappedCheckpoints(file, arena, ch, map, slot, unlinked);
            } catch (IOException | RuntimeException e) {
                if (arena != null) arena.close();
                try {
                    if (ch != null) ch.close();
                    if (file != null) Files.deleteIfExists(file);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                if (e instanceof IOException io) throw new UncheckedIOException("cannot create activation checkpoints in " + dir + ": " + io.getMessage(), io);
                throw (RuntimeException) e;
            }
        }

        /** The file's path (already unlinked on POSIX file systems). */
        public Path file() { return file; }

        @Override public void put(int block, Matrix x) {
            MemorySegment slot = slot(block, x);
            MemorySegment.copy(x.data(), 0, slot, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, x.size());
            slot.unload(); // dirty pages stay in the page cache, not in this process's resident set
        }

        @Override public void get(int block, Matrix into) {
            MemorySegment slot = slot(block, into);
            MemorySegment.copy(slot, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, into.data(), 0, into.size());
            slot.unload();
        }

        private MemorySegment slot(int block, Matrix m) {
            if (4L * m.size() > slotBytes) throw new IllegalArgumentException("checkpoint of " + m.shape() + " larger than a slot of " + slotBytes + " bytes");
            return map.asSlice(block * slotBytes, 4L * m.size());
        }

        @Override public void close() {
            try {
                arena.close();
                channel.close();
                if (!unlinked) Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException("removing activation checkpoints " + file + ": " + e.getMessage(), e);
            }
        }
    }
}
