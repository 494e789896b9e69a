package dev.mixprune.resources;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An append-only scratch file read back by positional reads: records are appended once and read
 * many times. Reads go through the page cache, not the process's mapping, so reading does not grow
 * the resident size (unlike touching a memory-mapped file). Thread-safe: positional reads and
 * writes do not share a file position.
 */
public final class SpillFile implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private long size;

    public SpillFile(Path path) throws IOException {
        this.path = path;
        this.channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private SpillFile(Path path, FileChannel channel) throws IOException {
        this.path = path;
        this.channel = channel;
        this.size = channel.size();
    }

    /** An existing file, read only (e.g. a copy of another process's scratch file); appending fails. */
    public static SpillFile openExisting(Path path) throws IOException {
        return new SpillFile(path, FileChannel.open(path, StandardOpenOption.READ));
    }

    public Path path() { return path; }

    public synchronized long size() { return size; }

    /** Appends the remaining bytes of {@code data}; returns the offset they start at. */
    public synchronized long append(ByteBuffer data) {
        long at = size;
        try {
            long pos = at;
            while (data.hasRemaining()) pos += channel.write(data, pos);
            size = pos;
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + path, e);
        }
        return at;
    }

    /** Fills the remaining space of {@code dst} from {@code offset}. */
    public void read(long offset, ByteBuffer dst) {
        try {
            long pos = offset;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, pos);
                if (n < 0) throw new EOFException(path + ": read past the end at " + pos);
                pos += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path, e);
        }
    }

    @Override public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing " + path, e);
        }
    }
}
