package dev.mixprune.io;

import dev.mixprune.Temporaries;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link AtomicFiles} semantics for an output written over a long time by several calls (the
 * streaming block sinks): a temporary file beside the target, renamed over it by {@link #commit};
 * {@link #close} without commit deletes it, and the directories it had to create if they are still
 * empty, so a failure leaves nothing behind.
 */
final class PendingFile implements AutoCloseable {
    private final Path target;
    private final Path tmp;
    private final List<Path> createdDirs;
    private boolean committed;

    private PendingFile(Path target, Path tmp, List<Path> createdDirs) {
        this.target = target;
        this.tmp = tmp;
        this.createdDirs = createdDirs;
    }

    static PendingFile create(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        List<Path> created = createDirectories(abs.getParent());
        try {
            return new PendingFile(abs, AtomicFiles.createTemp(abs.getParent(), abs.getFileName().toString()), created);
        } catch (IOException | RuntimeException e) {
            deleteEmpty(created);
            throw e;
        }
    }

    /** Creates {@code dir} and missing parents; returns the ones created, deepest first. */
    static List<Path> createDirectories(Path dir) throws IOException {
        List<Path> missing = new ArrayList<>();
        for (Path d = dir; d != null && !Files.exists(d); d = d.getParent()) missing.add(d);
        Files.createDirectories(dir);
        return missing;
    }

    static void deleteEmpty(List<Path> dirs) {
        for (Path d : dirs) {
            try {
                Files.deleteIfExists(d);
            } catch (IOException notEmptyOrGone) {
                return; // something else lives there now: keep it and its parents
            }
        }
    }

    Path tmp() { return tmp; }
    Path target() { return target; }

    /** Moves the finished temporary file over the target. */
    void commit() throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        Temporaries.forget(tmp);
        committed = true;
    }

    @Override public void close() throws IOException {
        if (committed) return;
        Temporaries.delete(tmp);
        deleteEmpty(createdDirs);
    }
}
