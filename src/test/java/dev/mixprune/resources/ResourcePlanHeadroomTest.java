package dev.mixprune.resources;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The planned peak is the live data at the peak plus the collector's headroom (a third of the live heap, at least 256 MiB). */
class ResourcePlanHeadroomTest {
    private static final long MIB = 1L << 20;

    @Test
    void smallPlansGetTheMinimumHeadroomLargeOnesAThirdOfTheirHeap() {
        ResourcePlan small = ResourcePlan.of("t").memory("a", "scores", 300 * MIB).memory("b", "other phase", 100 * MIB);
        assertThat(small.livePeak()).isEqualTo(ResourcePlan.JVM_BASE_BYTES + 300 * MIB);
        assertThat(small.collectorHeadroom()).isEqualTo(256 * MIB);
        assertThat(small.peakMemory()).isEqualTo(ResourcePlan.JVM_BASE_BYTES + 556 * MIB);

        ResourcePlan large = ResourcePlan.of("t").memory(null, "block", 1200 * MIB).memory("a", "forward", 1800 * MIB);
        assertThat(large.collectorHeadroom()).isEqualTo(1000 * MIB);
        assertThat(large.peakMemory()).isEqualTo(ResourcePlan.JVM_BASE_BYTES + 4000 * MIB);
        assertThat(large.lines()).anyMatch(l -> l.contains("collector headroom"));
    }

    @Test
    void aCommandMaySetItsOwnMeasuredRule() {
        ResourcePlan p = ResourcePlan.of("t").memory(null, "block", 1200 * MIB).memory("a", "forward", 1800 * MIB)
                .collectorHeadroom(heap -> Math.max(256 * MIB, heap / 8), "measured for t");
        assertThat(p.collectorHeadroom()).isEqualTo(375 * MIB);
        assertThat(p.peakMemory()).isEqualTo(ResourcePlan.JVM_BASE_BYTES + 3375 * MIB);
        assertThat(p.lines()).anyMatch(l -> l.contains("collector headroom (measured for t)"));
        // the rule sees the live heap of the final plan, items added after it included
        p.memory("a", "more", 800 * MIB);
        assertThat(p.collectorHeadroom()).isEqualTo(475 * MIB);
    }

    @Test
    void maxMemoryRefusesOnThePeakWithHeadroom() {
        ResourcePlan p = ResourcePlan.of("t").memory("a", "forward", 900 * MIB);
        long live = p.livePeak();
        assertThat(p.peakMemory()).isGreaterThan(live);
        assertThatThrownBy(() -> p.enforce(live, "hint")).hasMessageContaining("--max-memory");
        assertThat(p.enforce(p.peakMemory(), "hint")).isSameAs(p);
    }

    @Test
    void heapBoundDoesNothingUnderAnotherCollector() {
        if (HeapBound.supported()) return; // this JVM runs ZGC: the bound is set for real (the launcher's runs, docs/benchmarks.md)
        assertThat(HeapBound.set(1L << 30)).isEqualTo(-1);
    }
}
