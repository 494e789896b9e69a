package dev.mixprune.resources;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Keeps the resident size of a long loop near its live data. The parallel collector grows the old
 * generation instead of collecting it as long as -Xmx allows, so the large, short-lived arrays of a
 * block forward (hundreds of MB at 7B) would pile up between collections and the resident size
 * would follow -Xmx, not the data (docs/pruning.md, "The JVM heap"). Called at block boundaries,
 * {@link #check} runs a full collection only when the heap holds more than the limit (the command's
 * planned heap): cheap when nothing piled up, bounded when it did.
 */
public final class HeapGuard {
    private final long limit;
    private final MemoryMXBean bean = ManagementFactory.getMemoryMXBean();
    private long collections;

    public HeapGuard(long limitBytes) { this.limit = limitBytes; }

    /** No limit: never collects. */
    public static HeapGuard none() { return new HeapGuard(Long.MAX_VALUE); }

    public void check() {
        if (limit == Long.MAX_VALUE) return;
        if (bean.getHeapMemoryUsage().getUsed() > limit) {
            System.gc();
            collections++;
        }
    }

    public long collections() { return collections; }

    /** The heap size above which {@link #check} collects (Long.MAX_VALUE: never). */
    public long limit() { return limit; }
}
