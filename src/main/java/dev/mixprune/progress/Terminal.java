package dev.mixprune.progress;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Whether stderr is a terminal, and how wide it is. {@code System.console()} answers for
 * stdin/stdout, not stderr, so a bar would need stdout to be a terminal too ({@code mixprune run >
 * out.txt} would lose it). The launcher knows ({@code [ -t 2 ]}) and passes
 * {@code MIXPRUNE_STDERR_TTY=1|0} and {@code MIXPRUNE_COLUMNS}; without them (the jar run by hand)
 * Linux's {@code /proc/self/fd/2} says where stderr goes, and {@code stty size} on the terminal
 * gives the width.
 */
public final class Terminal {
    private Terminal() {}

    /** The width used when it cannot be found out. */
    static final int DEFAULT_COLUMNS = 100;

    public static boolean stderrIsTerminal() {
        String env = System.getenv("MIXPRUNE_STDERR_TTY");
        if (env != null && !env.isBlank()) return env.trim().equals("1") || env.trim().equalsIgnoreCase("true");
        try {
            Path target = Files.readSymbolicLink(Path.of("/proc/self/fd/2"));
            String t = target.toString();
            return t.startsWith("/dev/pts/") || t.startsWith("/dev/tty") || t.equals("/dev/console");
        } catch (Exception notLinux) {
            java.io.Console c = System.console();
            return c != null && c.isTerminal();
        }
    }

    /** Columns of the terminal stderr writes to (MIXPRUNE_COLUMNS, COLUMNS, then {@code stty size}), or {@link #DEFAULT_COLUMNS}. */
    public static int columns() {
        for (String var : new String[]{"MIXPRUNE_COLUMNS", "COLUMNS"}) {
            String v = System.getenv(var);
            if (v != null) {
                try {
                    int n = Integer.parseInt(v.trim());
                    if (n >= 20) return n;
                } catch (NumberFormatException ignored) {
                    // fall through to the next source
                }
            }
        }
        try {
            Process p = new ProcessBuilder("stty", "size").redirectInput(new File("/dev/tty")).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor(2, TimeUnit.SECONDS) && p.exitValue() == 0) {
                String[] rc = out.split("\\s+");
                if (rc.length == 2) {
                    int n = Integer.parseInt(rc[1]);
                    if (n >= 20) return n;
                }
            }
        } catch (Exception noTerminal) {
            // not a terminal, or no stty: the default
        }
        return DEFAULT_COLUMNS;
    }
}
