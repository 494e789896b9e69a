package dev.mixprune.resources;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * Holds the JVM's heap near a command's planned peak. -Xmx is fixed before a command knows its plan,
 * and the parallel collector grows the old generation up to -Xmx rather than collect it, never giving
 * the memory back: resident size followed -Xmx (2-4x the plan), not the live data. The launcher runs
 * the long streaming commands on ZGC, which keeps the heap under a soft bound (the JVM's
 * {@code SoftMaxHeapSize}, settable at run time) by collecting earlier, and returns memory it no
 * longer needs. The bound is soft: a phase that needs more still gets it, up to -Xmx (so a plan that
 * is low never turns into an OutOfMemoryError; --max-memory stays the hard bound). With another
 * collector (MIXPRUNE_JAVA_OPTS chose one) this does nothing.
 */
public final class HeapBound {
    private HeapBound() {}

    /** True when the running collector honours SoftMaxHeapSize (ZGC). */
    public static boolean supported() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc.getName().startsWith("ZGC")) return true;
        }
        return false;
    }

    /**
     * Sets the soft heap bound to {@code heapBytes} (capped at -Xmx) for the phase that starts now.
     * @return the bound set, or -1 when the collector has none
     */
    public static long set(long heapBytes) {
        return apply(heapBytes, false);
    }

    /**
     * For a stage that may run inside another command (the search inside run or prune): raises the
     * soft bound to {@code heapBytes} if a bound below it was set, and sets it when none was.
     */
    public static long raise(long heapBytes) {
        return apply(heapBytes, true);
    }

    private static long apply(long heapBytes, boolean onlyUp) {
        if (!supported()) return -1;
        try {
            HotSpotDiagnosticMXBean bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            long v = Math.max(64L << 20, Math.min(Runtime.getRuntime().maxMemory(), heapBytes));
            long current = Long.parseLong(bean.getVMOption("SoftMaxHeapSize").getValue());
            boolean unset = current >= Runtime.getRuntime().maxMemory();
            if (onlyUp && !unset && current >= v) return current;
            bean.setVMOption("SoftMaxHeapSize", Long.toString(v));
            return v;
        } catch (RuntimeException e) { // not a HotSpot JVM, or the option is not manageable here: leave the heap as it is
            return -1;
        }
    }

    /** The soft bound for a plan: its live heap at the peak (the JVM's own code, metaspace and threads are not heap; the collector's headroom lies above the bound). */
    public static long heapOf(ResourcePlan plan) {
        return Math.max(64L << 20, plan.livePeak() - ResourcePlan.JVM_BASE_BYTES + (128L << 20));
    }
}
