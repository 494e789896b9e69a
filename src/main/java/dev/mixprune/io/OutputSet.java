package dev.mixprune.io;

import dev.mixprune.Temporaries;
import dev.mixprune.UsageException;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Every file one command writes, as one transaction (issue 13, "Outputs"):
 * <ol>
 *   <li><b>Declare</b> each output before any work ({@link #file}, {@link #directory}, {@link #manifest},
 *       {@link #workingFile}). A declaration is refused with a {@link UsageException} (exit 2) when the
 *       target is one of the command's inputs (same real path or same file: symlinks and hard
 *       links count), when it exists and may not be replaced without {@code --force}, when two
 *       outputs are the same path, or when the path cannot be a file/directory. Temporaries left
 *       in the target's directory by dead mixprune processes are removed at this point.</li>
 *   <li><b>Write</b> into the staged path the declaration returned: files go into a staging
 *       directory beside their target under their final names (so a writer that puts a companion
 *       file "beside" its output, like tokenizer.bin, stays inside the staging directory);
 *       directories are staged as a temporary directory beside the target.</li>
 *   <li><b>{@link #commit}</b> moves everything into place, manifests last, each with an atomic
 *       rename; a file being replaced is first moved aside and deleted only when the whole set is
 *       in place. If any move fails, what this commit moved is removed and the replaced files are
 *       put back. {@link #close} without a commit deletes all staged data.</li>
 * </ol>
 * Temporaries carry the process id ({@link Temporaries}): SIGTERM/SIGINT deletes them, and after a
 * kill -9 the next command writing into the directory does.
 */
public final class OutputSet implements AutoCloseable {
    /** What happens when a declared file exists already (directories: see {@link #directory}). */
    public enum Existing {
        /** The output the user named (or one named after it, like OUT.manifest.json): replaced. */
        REPLACE,
        /** A file at a fixed name the user did not write on the command line: refused unless --force. */
        REFUSE
    }

    private static final class Entry {
        final Path target;
        final Path staged;
        final boolean directory;
        final boolean manifest;
        final String option;
        /** The target already holds exactly these bytes: a writer's staged copy is discarded, not moved. */
        final boolean keepExisting;
        Path backup;

        Entry(Path target, Path staged, boolean directory, boolean manifest, String option, boolean keepExisting) {
            this.target = target;
            this.staged = staged;
            this.directory = directory;
            this.manifest = manifest;
            this.option = option;
            this.keepExisting = keepExisting;
        }
    }

    /** An input as a real path and a file key (device + inode where the file system has them). */
    private record Input(Path given, Path real, Object key, boolean directory) {}

    private final List<Input> inputs = new ArrayList<>();
    private final boolean force;
    private final Map<Path, Path> stagingDirs = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();
    private final Set<Path> declared = new HashSet<>();
    private final List<Path> createdDirs = new ArrayList<>();
    private final Set<Path> cleaned = new HashSet<>();
    private boolean committed;

    private OutputSet(boolean force) { this.force = force; }

    /**
     * A transaction for a command reading {@code inputs} (files or directories; missing ones are
     * ignored: the readers report them). {@code force} allows replacing existing files that are
     * not the command's own named output, never an input.
     */
    public static OutputSet begin(Collection<Path> inputs, boolean force) {
        OutputSet s = new OutputSet(force);
        for (Path p : inputs) {
            if (p == null) continue;
            try {
                Path real = p.toRealPath();
                BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
                s.inputs.add(new Input(p, real, a.fileKey(), a.isDirectory()));
            } catch (IOException missing) {
                // not there (the reader will say so) or unreadable: nothing to protect
            }
        }
        return s;
    }

    /** Declares an output file; returns where to write it (its final name inside a staging directory). */
    public Path file(Path target, Existing existing, String option) throws IOException {
        Path t = declare(target, false, existing, option);
        Path staging = stagingDir(t.getParent());
        Path staged = staging.resolve(t.getFileName().toString());
        entries.add(new Entry(t, staged, false, false, option, false));
        return staged;
    }

    /**
     * Declares an output file at a fixed name beside another output (tokenizer.bin beside a .bin)
     * whose bytes are known now. If the file exists with exactly these bytes (it may even be an
     * input: the model's own tokenizer), it is left as it is: a writer may still produce it in the
     * staging directory, and that copy is discarded. Otherwise as {@link #file} with
     * {@link Existing#REFUSE}. Returns the staged path either way.
     */
    public Path fileUnlessSame(Path target, byte[] content, String option) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        if (Files.isRegularFile(abs) && Files.size(abs) == content.length && Arrays.equals(Files.readAllBytes(abs), content)) {
            if (declared.contains(abs)) throw UsageException.option(option, target + " is also another output of this command");
            cleanStale(abs.getParent());
            declared.add(abs);
            Path staged = stagingDir(abs.getParent()).resolve(abs.getFileName().toString());
            entries.add(new Entry(abs, staged, false, false, option, true));
            return staged;
        }
        return file(target, Existing.REFUSE, option);
    }

    /** Declares a manifest: replaced if it exists, moved into place after every other output. */
    public Path manifest(Path target, String option) throws IOException {
        Path t = declare(target, false, Existing.REPLACE, option);
        Path staged = stagingDir(t.getParent()).resolve(t.getFileName().toString());
        entries.add(new Entry(t, staged, false, true, option, false));
        return staged;
    }

    /**
     * Declares an output directory (an HF model, a run directory) and returns an empty staging
     * directory to fill. An existing empty directory is replaced; a non-empty one only with
     * {@code --force} (it may hold files of other runs).
     */
    public Path directory(Path target, String option) throws IOException {
        Path t = declare(target, true, Existing.REFUSE, option);
        Path staged = Temporaries.createDirectory(ensureDirectory(t.getParent(), option), t.getFileName().toString());
        entries.add(new Entry(t, staged, true, false, option, false));
        return staged;
    }

    /**
     * Checks a file the command writes in place while it works, outside the set (the search's
     * checkpoint, which must survive a kill): it may not be an input or another output.
     */
    public void workingFile(Path target, String option) throws IOException {
        declare(target, false, Existing.REPLACE, option);
    }

    private Path declare(Path target, boolean directory, Existing existing, String option) throws IOException {
        Objects.requireNonNull(target, option);
        Path t = target.toAbsolutePath().normalize();
        if (t.getParent() == null || t.getFileName() == null) throw UsageException.option(option, target + " cannot be written (a root directory)");
        if (declared.contains(t)) throw UsageException.option(option, target + " is also another output of this command");
        Path parent = ensureDirectory(t.getParent(), option);
        Path resolved = parent.toRealPath().resolve(t.getFileName().toString());
        boolean exists = Files.exists(t, LinkOption.NOFOLLOW_LINKS);
        Path real = exists && Files.exists(t) ? t.toRealPath() : resolved;
        Object key = exists && Files.exists(t) ? Files.readAttributes(t, BasicFileAttributes.class).fileKey() : null;
        for (Input in : inputs) {
            boolean same = in.real().equals(real) || in.real().equals(resolved) || (key != null && key.equals(in.key()));
            if (same) throw UsageException.option(option, target + " is an input of this command (" + in.given() + "); writing it would destroy it");
            if (directory && (in.real().startsWith(real) || in.real().startsWith(resolved))) {
                throw UsageException.option(option, target + " contains an input of this command (" + in.given() + ")");
            }
        }
        if (exists) {
            boolean isDir = Files.isDirectory(t);
            if (directory && !isDir) throw UsageException.option(option, target + " exists and is not a directory");
            if (!directory && isDir) throw UsageException.option(option, target + " is a directory");
            if (directory && !force && !isEmptyDirectory(t)) {
                throw UsageException.option(option, target + " exists and is not empty; choose another directory or add --force to replace it");
            }
            if (!directory && existing == Existing.REFUSE && !force) {
                throw UsageException.option(option, target + " exists; add --force to replace it");
            }
        }
        cleanStale(t.getParent());
        declared.add(t);
        return t;
    }

    private void cleanStale(Path dir) {
        if (cleaned.add(dir)) Temporaries.removeStale(dir);
    }

    private static boolean isEmptyDirectory(Path d) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(d)) {
            return !s.iterator().hasNext();
        }
    }

    /** The directory exists (created with its parents if missing, remembered for removal on failure). */
    private Path ensureDirectory(Path dir, String option) throws IOException {
        if (Files.isDirectory(dir)) return dir;
        List<Path> missing = new ArrayList<>();
        for (Path d = dir; d != null && !Files.exists(d, LinkOption.NOFOLLOW_LINKS); d = d.getParent()) missing.add(d);
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.exists(d, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(d)) {
                throw UsageException.option(option, d + " is not a directory");
            }
            if (Files.exists(d)) break;
        }
        try {
            Files.createDirectories(dir);
        } catch (FileSystemException e) {
            throw new OutputException(dir, "create directory", e);
        }
        createdDirs.addAll(missing);   // deepest first
        return dir;
    }

    private Path stagingDir(Path dir) throws IOException {
        Path s = stagingDirs.get(dir);
        if (s == null) {
            s = Temporaries.createDirectory(dir, "staging");
            stagingDirs.put(dir, s);
        }
        return s;
    }

    /** The path a declared output will have after {@link #commit} (for messages and manifests). */
    public Path finalPath(Path staged) {
        for (Entry e : entries) if (e.staged.equals(staged)) return e.target;
        throw new IllegalArgumentException(staged + " is not a staged output");
    }

    /** Writes bytes to a staged output; a failure names the output's final path ("cannot write X: No space left on device"). */
    public void write(Path staged, byte[] bytes) throws IOException {
        try {
            Files.write(staged, bytes);
        } catch (IOException e) {
            throw new OutputException(finalPath(staged), "write", e);
        }
    }

    /**
     * An I/O error of the work as the user should read it: with the path of the output being
     * written when the error has none ("No space left on device" from a write call).
     */
    public IOException named(IOException e) {
        if (e instanceof OutputException || (e instanceof FileSystemException f && f.getFile() != null)) return e;
        Path first = entries.isEmpty() ? null : entries.get(0).target;
        return first == null ? e : new OutputException(first, "write", e);
    }

    /**
     * Moves every staged output into place, manifests last. Outputs a writer did not produce are
     * skipped; a file in a staging directory that was not declared is a bug and fails the commit.
     */
    public void commit() throws IOException {
        synchronized (Temporaries.LOCK) {
            if (committed) throw new IllegalStateException("outputs already committed");
            if (Temporaries.shuttingDown()) throw new IOException("shutting down: outputs not committed");
            checkNothingUndeclared();
            List<Entry> order = new ArrayList<>();
            for (Entry e : entries) if (e.keepExisting) Temporaries.deleteRecursively(e.staged);
            for (Entry e : entries) if (!e.manifest && !e.keepExisting && Files.exists(e.staged, LinkOption.NOFOLLOW_LINKS)) order.add(e);
            for (Entry e : entries) if (e.manifest && Files.exists(e.staged, LinkOption.NOFOLLOW_LINKS)) order.add(e);
            List<Entry> moved = new ArrayList<>();
            Entry current = null;
            try {
                for (Entry e : order) {
                    current = e;
                    if (e.directory != Files.isDirectory(e.target) && Files.exists(e.target, LinkOption.NOFOLLOW_LINKS)) {
                        throw new java.nio.file.FileSystemException(e.target.toString(), null,
                                e.directory ? "exists and is not a directory" : "is a directory");
                    }
                    if (Files.exists(e.target, LinkOption.NOFOLLOW_LINKS)) {
                        Path b = Temporaries.backupName(e.target);
                        move(e.target, b);
                        e.backup = b;
                    }
                    move(e.staged, e.target);
                    Temporaries.forget(e.staged);
                    moved.add(e);
                    current = null;
                }
            } catch (IOException | RuntimeException ex) {
                rollback(moved, current);
                throw new OutputException(current != null ? current.target : order.get(0).target, "move into place", asIo(ex));
            }
            committed = true;
            for (Entry e : moved) {
                if (e.backup != null) {
                    try {
                        Temporaries.delete(e.backup);
                    } catch (IOException stays) {
                        // the outputs are in place; the old copy is removed by the next command here
                    }
                }
            }
            deleteStaging();
        }
    }

    private static IOException asIo(Exception e) {
        return e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }

    private void checkNothingUndeclared() throws IOException {
        for (Map.Entry<Path, Path> d : stagingDirs.entrySet()) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(d.getValue())) {
                for (Path p : s) {
                    String n = p.getFileName().toString();
                    if (n.startsWith(".")) continue;   // a writer's own temporary, already gone or about to be
                    boolean known = entries.stream().anyMatch(e -> e.staged.equals(p));
                    if (!known) throw new IllegalStateException("undeclared output " + d.getKey().resolve(n) + " (declare every file a command writes)");
                }
            }
        }
    }

    /** Undoes a partial commit: removes what was moved in, puts back what was moved aside. */
    private void rollback(List<Entry> moved, Entry current) {
        List<Entry> undo = new ArrayList<>(moved);
        if (current != null) undo.add(current);
        for (int i = undo.size() - 1; i >= 0; i--) {
            Entry e = undo.get(i);
            try {
                if (moved.contains(e)) Temporaries.deleteRecursively(e.target);
                if (e.backup != null && Files.exists(e.backup, LinkOption.NOFOLLOW_LINKS)) {
                    move(e.backup, e.target);
                    Temporaries.forget(e.backup);
                }
            } catch (IOException | RuntimeException ignored) {
                // best effort; the backup keeps its pid-tagged name and is restored by the next command here
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private void deleteStaging() {
        for (Path s : stagingDirs.values()) {
            try {
                Temporaries.delete(s);
            } catch (IOException e) {
                // left for the next command in this directory
            }
        }
        for (Entry e : entries) {
            if (e.directory && !committed) {
                try {
                    Temporaries.delete(e.staged);
                } catch (IOException ignored) {
                    // left for the next command in this directory
                }
            }
        }
    }

    /** Without a commit: deletes every staged output and the directories this set created. */
    @Override public void close() {
        if (committed) return;
        synchronized (Temporaries.LOCK) {
            deleteStaging();
            for (Path d : createdDirs) {
                try {
                    Files.deleteIfExists(d);
                } catch (IOException notEmpty) {
                    break;   // something else lives there now: keep it and its parents
                }
            }
        }
    }
}
