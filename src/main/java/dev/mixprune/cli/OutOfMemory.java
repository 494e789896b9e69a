package dev.mixprune.cli;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;

/** What to tell a user whose command ran out of memory (issue 13 F11): what ran out, the limit in force, how to raise it. */
final class OutOfMemory {
    private OutOfMemory() {}

    static String message(OutOfMemoryError e, String command) {
        String what = e.getMessage() == null ? "Java heap space" : e.getMessage();
        long max = Runtime.getRuntime().maxMemory();
        String limit = max >= (1L << 30) ? String.format(Locale.ROOT, "%.1f GiB", max / (double) (1L << 30))
                : String.format(Locale.ROOT, "%d MiB", max >> 20);
        String flag = heapFlag();
        String limitText = flag != null ? limit + " (" + flag + ")" : limit + " (the JVM's default: a quarter of the RAM)";
        StringBuilder sb = new StringBuilder("mixprune: error: out of memory in '" + command + "': " + what + ".");
        if (what.contains("Requested array size exceeds VM limit")) {
            sb.append(" One array would exceed Java's 2^31 element limit; a larger heap does not help: make the work smaller"
                    + " (fewer or shorter windows, a smaller batch).");
        } else if (what.contains("Direct buffer memory")) {
            sb.append(" Raise -XX:MaxDirectMemorySize through MIXPRUNE_JAVA_OPTS.");
        } else if (what.contains("Metaspace") || what.contains("native thread")) {
            sb.append(" The machine or the JVM ran out of native resources; the heap limit is ").append(limitText).append('.');
        } else {
            sb.append(" The Java heap is limited to ").append(limitText).append(". Raise it with MIXPRUNE_JAVA_OPTS, e.g. MIXPRUNE_JAVA_OPTS=-Xmx")
                    .append(suggestion(max)).append(" ./mixprune ").append(command).append(" ..., or make the work smaller (fewer or shorter windows).");
        }
        return sb.toString();
    }

    /** The last -Xmx / -XX:MaxHeapSize / -XX:MaxRAMPercentage given to this JVM, or null. */
    static String heapFlag() {
        try {
            List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
            String found = null;
            for (String a : args) {
                if (a.startsWith("-Xmx") || a.startsWith("-XX:MaxHeapSize=") || a.startsWith("-XX:MaxRAMPercentage=")) found = a;
            }
            return found;
        } catch (RuntimeException | LinkageError notAvailable) {
            return null;
        }
    }

    /** Double the current limit: whole GiB from 1 GiB up, else MiB. */
    private static String suggestion(long max) {
        long twice = 2 * max;
        if (twice >= (1L << 30)) return ((twice + (1L << 30) - 1) >> 30) + "g";
        return ((twice + (1L << 20) - 1) >> 20) + "m";
    }
}
