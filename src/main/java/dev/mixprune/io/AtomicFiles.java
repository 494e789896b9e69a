package dev.mixprune.io;

import dev.mixprune.Temporaries;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes go to a temporary file beside the target, then are renamed: no half-written outputs. */
public final class AtomicFiles {
    private AtomicFiles() {}

    @FunctionalInterface
    public interface Writer { void write(OutputStream out) throws IOException; }

    @FunctionalInterface
    public interface PathWriter { void write(Path tmp) throws IOException; }

    public static void write(Path target, byte[] bytes) throws IOException {
        writeStream(target, out -> out.write(bytes));
    }

    public static void writeStream(Path target, Writer writer) throws IOException {
        writePath(target, tmp -> {
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                writer.write(out);
            }
        });
    }

    /** A new empty pid-tagged temporary beside the target, registered for cleanup ({@link Temporaries}). */
    static Path createTemp(Path dir, String name) throws IOException {
        return Temporaries.createFile(dir, name);
    }

    /** The writer fills {@code tmp}; on success it is moved over {@code target}, on failure deleted. */
    public static void writePath(Path target, PathWriter writer) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = createTemp(dir, abs.getFileName().toString());
        boolean ok = false;
        try {
            writer.write(tmp);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            Temporaries.forget(tmp);
            ok = true;
        } finally {
            if (!ok) Temporaries.delete(tmp);
        }
    }
}
