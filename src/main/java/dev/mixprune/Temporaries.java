package dev.mixprune;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Every temporary file or directory mixprune writes an output into, and their cleanup.
 *
 * <p>A temporary sits beside its target (so that the final rename is atomic) and is named
 * {@code .NAME.mixprune-PID-START-RAND.tmp}: the owner's process id and start time (seconds, base
 * 36). Moving a file aside while replacing it gives {@code ...bak}. Three ways they go away:
 * <ul>
 *   <li>normally, renamed into place or deleted by their owner (io.OutputSet, io.AtomicFiles,
 *       io.PendingFile, resources.WorkDir);</li>
 *   <li>on SIGTERM / SIGINT (and a normal exit), by a shutdown hook that deletes the live ones;</li>
 *   <li>after kill -9 or a power cut, by the next mixprune command that writes into the same
 *       directory ({@link #removeStale}): a temporary whose owner process is gone (or whose pid now
 *       belongs to a process started at another time) is deleted; a backup whose target is missing
 *       is put back, else deleted.</li>
 * </ul>
 *
 * <p>Process-wide by necessity: signals and the shutdown hook belong to the process, not to a
 * command. The registry holds only paths of live temporaries; commits take {@link #LOCK} so that
 * the hook never deletes half of a set that is being moved into place.
 */
public final class Temporaries {
    private Temporaries() {}

    private static final Pattern NAME = Pattern.compile("\\.(.+)\\.mixprune-(\\d+)-([0-9a-z]+)-[0-9a-z]+\\.(tmp|bak)");
    private static final long PID = ProcessHandle.current().pid();
    private static final String START = startTag(ProcessHandle.current());
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
    /** Held while a set of outputs is moved into place, and by the shutdown hook. */
    public static final Object LOCK = new Object();
    private static volatile boolean shuttingDown;

    static {
        Thread hook = new Thread(Temporaries::deleteAllLive, "mixprune-temporaries");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    private static String startTag(ProcessHandle p) {
        return p.info().startInstant().map(i -> Long.toString(i.getEpochSecond(), 36)).orElse("0");
    }

    /** True once the JVM is shutting down (SIGTERM/SIGINT): no output may be committed any more. */
    public static boolean shuttingDown() { return shuttingDown; }

    private static String name(String target, String kind) {
        return "." + target + ".mixprune-" + PID + "-" + START + "-" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36) + "." + kind;
    }

    /**
     * A new empty file beside {@code target} (in {@code dir}), registered for cleanup. Not
     * Files.createTempFile: that makes the file 0600 and the rename would give the output those
     * permissions; createFile uses the umask like any other new file.
     */
    public static Path createFile(Path dir, String target) throws IOException {
        return create(dir, target, Files::createFile);
    }

    /** A new empty directory beside {@code target}, registered for cleanup. */
    public static Path createDirectory(Path dir, String target) throws IOException {
        return create(dir, target, Files::createDirectory);
    }

    /** Creates a fresh pid-tagged name with {@code make}, registered before it exists (a signal in between still removes it). */
    private static Path create(Path dir, String target, IoCreate make) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve(name(target, "tmp"));
            try {
                register(tmp);
                return make.at(tmp);
            } catch (FileAlreadyExistsException e) {
                LIVE.remove(tmp);
                if (attempt > 100) throw e;
            } catch (IOException | RuntimeException e) {
                LIVE.remove(tmp);
                throw e;
            }
        }
    }

    @FunctionalInterface
    private interface IoCreate {
        Path at(Path p, java.nio.file.attribute.FileAttribute<?>... attrs) throws IOException;
    }

    /** A name for moving {@code target} aside while it is replaced (not created; registered). */
    public static Path backupName(Path target) {
        Path b = target.resolveSibling(name(target.getFileName().toString(), "bak"));
        LIVE.add(b);
        return b;
    }

    private static void register(Path p) {
        if (shuttingDown) throw new IllegalStateException("shutting down: no new outputs");
        LIVE.add(p);
    }

    /** The temporary was renamed into place (or deleted by its owner): nothing to clean up any more. */
    public static void forget(Path p) { LIVE.remove(p); }

    /** Deletes a temporary (recursively for a directory) and forgets it. */
    public static void delete(Path p) throws IOException {
        deleteRecursively(p);
        LIVE.remove(p);
    }

    public static void deleteRecursively(Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> s = Files.walk(p)) {
                List<Path> all = new ArrayList<>(s.sorted(Comparator.reverseOrder()).toList());
                for (Path q : all) Files.deleteIfExists(q);
            } catch (NoSuchFileException gone) {
                // deleted meanwhile
            }
        } else {
            Files.deleteIfExists(p);
        }
    }

    /** The shutdown hook: waits for a commit in progress, then deletes every live temporary (backups are put back). */
    private static void deleteAllLive() {
        synchronized (LOCK) {
            shuttingDown = true;
            for (Path p : List.copyOf(LIVE)) {
                try {
                    if (p.getFileName().toString().endsWith(".bak")) restoreOrDelete(p, target(p));
                    else deleteRecursively(p);
                } catch (IOException | RuntimeException e) {
                    // Best effort while the JVM exits: the next command in this directory removes it.
                }
                LIVE.remove(p);
            }
        }
    }

    /** The target a temporary or backup stands for, from its name; null if it is not ours. */
    public static Path target(Path tmp) {
        Matcher m = NAME.matcher(tmp.getFileName().toString());
        return m.matches() ? tmp.resolveSibling(m.group(1)) : null;
    }

    private static void restoreOrDelete(Path backup, Path target) throws IOException {
        if (target != null && !Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            Files.move(backup, target, StandardCopyOption.ATOMIC_MOVE);
        } else {
            deleteRecursively(backup);
        }
    }

    /**
     * Removes what dead mixprune processes left in {@code dir}: their temporaries, and their backups
     * (put back where the target is missing). Returns how many entries it handled. Entries of live
     * processes, and everything not named like ours, are left alone.
     */
    public static int removeStale(Path dir) {
        if (!Files.isDirectory(dir)) return 0;
        int n = 0;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, ".*.mixprune-*")) {
            for (Path p : s) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (!m.matches() || ownerAlive(Long.parseLong(m.group(2)), m.group(3))) continue;
                try {
                    if (m.group(4).equals("bak")) restoreOrDelete(p, p.resolveSibling(m.group(1)));
                    else deleteRecursively(p);
                    n++;
                } catch (IOException e) {
                    // not ours to insist on (permissions, a race with another cleaner)
                }
            }
        } catch (IOException | RuntimeException e) {
            return n;
        }
        return n;
    }

    /** The process that made a temporary still runs: same pid, and (when known) the same start time. */
    public static boolean ownerAlive(long pid, String start) {
        if (pid == PID && start.equals(START)) return true;
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isEmpty() || !p.get().isAlive()) return false;
        String actual = startTag(p.get());
        return start.equals("0") || actual.equals("0") || actual.equals(start);
    }

    /** Live temporaries of this process (for tests). */
    public static Set<Path> live() { return Set.copyOf(LIVE); }
}
