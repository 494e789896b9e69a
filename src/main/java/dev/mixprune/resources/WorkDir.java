package dev.mixprune.resources;


import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;

/**
 * A private temporary directory for a long command's scratch files (the search's level database
 * and cut files): created under a parent the user chose (default beside the output), checked for
 * free space before anything is written, and deleted with everything in it by {@link #close} on
 * success and failure alike, and by a shutdown hook when the JVM is stopped (Ctrl-C, SIGTERM).
 * Only a SIGKILL can leave it behind: its name carries the process id ({@link dev.mixprune.Temporaries}), and
 * the next mixprune command writing into that parent removes it once the process is gone.
 */
public final class WorkDir implements AutoCloseable {
    /**
     * Kept free beyond what a command plans to write, so that the machine does not fill up; the
     * system property {@code mixprune.diskMarginBytes} changes it (the disk-full test sets 0).
     */
    public static final long MARGIN_BYTES = 1L << 30;

    static long margin() { return Long.getLong("mixprune.diskMarginBytes", MARGIN_BYTES); }

    private final Path dir;
    private final Thread hook;
    private boolean closed;

    private WorkDir(Path dir) {
        this.dir = dir;
        this.hook = new Thread(this::deleteQuietly, "mixprune-workdir-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** A new directory {@code parent/.work.mixprune-PID-...tmp}, after checking that {@code bytes} (plus a margin) fit on its disk. */
    public static WorkDir create(Path parent, long bytes, String what) throws IOException {
        Path p = parent.toAbsolutePath();
        Files.createDirectories(p);
        requireSpace(p, bytes, what);
        return new WorkDir(dev.mixprune.Temporaries.createDirectory(p, "work"));
    }

    public Path dir() { return dir; }

    public Path file(String name) { return dir.resolve(name); }

    /** Free space usable by this process on the file store of {@code path} (or of its nearest existing ancestor). */
    public static long usableSpace(Path path) throws IOException {
        Path p = path.toAbsolutePath();
        while (p != null && !Files.exists(p)) p = p.getParent();
        return Files.getFileStore(p == null ? path.toAbsolutePath().getRoot() : p).getUsableSpace();
    }

    /**
     * Refuses, naming the directory and both sizes, when {@code bytes} plus the margin do not fit.
     * Exit code 1 (an I/O condition, not a bad input file: docs/reliability.md).
     */
    public static void requireSpace(Path dir, long bytes, String what) throws IOException {
        if (bytes <= 0) return;
        long free = usableSpace(dir);
        long margin = margin();
        if (bytes + margin > free) {
            throw new java.nio.file.FileSystemException(dir.toString(), null, String.format(Locale.ROOT,
                    "%s needs %s of disk here, but only %s is free (%s kept free as a margin); free space, choose another "
                            + "directory with --work-dir, or reduce what is stored",
                    what, ResourcePlan.human(bytes), ResourcePlan.human(free), ResourcePlan.human(margin)));
        }
    }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // the JVM is shutting down: the hook runs (or ran) anyway
        }
        deleteTree(dir);
        dev.mixprune.Temporaries.forget(dir);
    }

    private void deleteQuietly() {
        try {
            deleteTree(dir);
        } catch (RuntimeException ignored) {
            // best effort while the JVM stops
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) return;
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Files.deleteIfExists(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the work directory " + root, e);
        }
    }
}
