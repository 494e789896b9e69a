package dev.mixprune.resources;

import dev.mixprune.BadInputException;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongUnaryOperator;

/**
 * What a long command will need, printed before it starts: peak memory (what is alive through the
 * whole command plus the largest of its phases), scratch disk, and an estimated time per stage.
 * {@link #enforce} refuses a plan whose peak exceeds {@code --max-memory}, naming the largest
 * items; commands choose their batch and chunk sizes with {@link #largestFitting} before that, so a
 * bound is honoured where it can be and refused clearly where it cannot.
 *
 * <p>Usage: {@code ResourcePlan.of("search").memory(null, "one block (float32)", b).memory("statistics", "residual stream", r)
 * .disk("level database", d).stage("statistics", secs, "64 x 2048 tokens").print(err).enforce(max)}.
 */
public final class ResourcePlan {
    /** JVM code, metaspace, thread stacks, GC structures and the young generation the launcher caps at 256 MiB. */
    public static final long JVM_BASE_BYTES = 512L << 20;

    public record Item(String phase, String what, long bytes) {}

    public record Stage(String name, double seconds, String basis) {}

    private final String command;
    private final List<Item> memory = new ArrayList<>();
    private final List<Item> disk = new ArrayList<>();
    private final List<Stage> stages = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private LongUnaryOperator headroomOfHeap = DEFAULT_HEADROOM;
    private String headroomBasis = "a third of the live heap, at least 256 MiB";

    /**
     * The default collector headroom for a live heap (live peak minus {@link #JVM_BASE_BYTES}): a third, at least 256 MiB.
     * Set from `run`'s resident size on ZGC (docs/benchmarks.md, "Resident size against the plan"); a command whose own
     * overshoot was measured replaces it with {@link #collectorHeadroom(LongUnaryOperator, String)}.
     */
    public static final LongUnaryOperator DEFAULT_HEADROOM = heap -> Math.max(256L << 20, heap / 3);

    private ResourcePlan(String command) {
        this.command = command;
        memory.add(new Item(null, "JVM (code, metaspace, threads, young generation)", JVM_BASE_BYTES));
    }

    public static ResourcePlan of(String command) { return new ResourcePlan(command); }

    /**
     * A memory item; {@code phase} null means alive during the whole command, otherwise it is alive
     * only during that phase (phases do not overlap: the peak takes the largest phase).
     */
    public ResourcePlan memory(String phase, String what, long bytes) {
        memory.add(new Item(phase, what, Math.max(0, bytes)));
        return this;
    }

    public ResourcePlan disk(String what, long bytes) {
        disk.add(new Item(null, what, Math.max(0, bytes)));
        return this;
    }

    public ResourcePlan stage(String name, double seconds, String basis) {
        stages.add(new Stage(name, seconds, basis));
        return this;
    }

    /**
     * Replaces the collector headroom rule: {@code ofHeap} maps the live heap at the peak (live peak minus the JVM's base)
     * to the bytes the collector uses above it; {@code basis} says where the rule comes from (printed with the figure).
     */
    public ResourcePlan collectorHeadroom(LongUnaryOperator ofHeap, String basis) {
        this.headroomOfHeap = Objects.requireNonNull(ofHeap);
        this.headroomBasis = Objects.requireNonNull(basis);
        return this;
    }

    public ResourcePlan note(String text) {
        notes.add(text);
        return this;
    }

    public List<Item> memoryItems() { return List.copyOf(memory); }

    public List<Stage> stages() { return List.copyOf(stages); }

    /** Bytes of each phase (items alive throughout excluded). */
    public Map<String, Long> phases() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Item i : memory) if (i.phase() != null) m.merge(i.phase(), i.bytes(), Long::sum);
        return m;
    }

    /** Items alive throughout + the largest phase: the live data at the peak (no collector headroom). */
    public long livePeak() {
        long base = memory.stream().filter(i -> i.phase() == null).mapToLong(Item::bytes).sum();
        return base + phases().values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /**
     * Heap the collector uses above the live data: ZGC (the launcher's collector for the streaming
     * commands) collects while the program allocates, so it needs free heap ahead of the allocation.
     * By default a third of the live heap, at least 256 MiB ({@link #DEFAULT_HEADROOM}: set from the resident sizes
     * measured on stories260K and a 7B-shaped model, docs/benchmarks.md, "Resident size against the plan"); a command
     * may set its own measured rule ({@link #collectorHeadroom(LongUnaryOperator, String)}).
     */
    public long collectorHeadroom() {
        return Math.max(0, headroomOfHeap.applyAsLong(Math.max(0, livePeak() - JVM_BASE_BYTES)));
    }

    /** The planned peak resident size: {@link #livePeak} + {@link #collectorHeadroom}. */
    public long peakMemory() {
        return livePeak() + collectorHeadroom();
    }

    /** The phase that sets the peak (null when there are no phases). */
    public String peakPhase() {
        return phases().entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
    }

    public long diskBytes() { return disk.stream().mapToLong(Item::bytes).sum(); }

    public double seconds() { return stages.stream().mapToDouble(Stage::seconds).sum(); }

    /** Prints the plan, one line per item, on stderr-like output. */
    public ResourcePlan print(PrintStream out) {
        lines().forEach(out::println);
        return this;
    }

    /** The printed form: a summary line, then memory (alive throughout and the peak phase), disk, time per stage, notes. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        String peak = peakPhase();
        out.add(String.format(Locale.ROOT, "%s plan: peak memory %s%s, disk %s, estimated time %s", command, human(peakMemory()),
                peak == null ? "" : " (during " + peak + ")", human(diskBytes()), duration(seconds())));
        for (Item i : memory) {
            if (i.phase() == null || i.phase().equals(peak)) {
                out.add(String.format(Locale.ROOT, "  memory %-10s %s%s", human(i.bytes()), i.what(), i.phase() == null ? "" : " [" + i.phase() + "]"));
            }
        }
        out.add(String.format(Locale.ROOT, "  memory %-10s collector headroom (%s)", human(collectorHeadroom()), headroomBasis));
        for (Map.Entry<String, Long> e : phases().entrySet()) {
            if (!e.getKey().equals(peak)) out.add(String.format(Locale.ROOT, "  memory %-10s phase %s (below the peak)", human(e.getValue()), e.getKey()));
        }
        for (Item i : disk) out.add(String.format(Locale.ROOT, "  disk   %-10s %s", human(i.bytes()), i.what()));
        for (Stage s : stages) out.add(String.format(Locale.ROOT, "  time   %-10s %s (%s)", duration(s.seconds()), s.name(), s.basis()));
        for (String n : notes) out.add("  note   " + n);
        return out;
    }

    /** Refuses when the peak exceeds {@code maxBytes} (null: no bound), naming the largest items. */
    public ResourcePlan enforce(Long maxBytes, String hint) {
        if (maxBytes == null || peakMemory() <= maxBytes) return this;
        String peak = peakPhase();
        List<Item> top = memory.stream().filter(i -> i.phase() == null || i.phase().equals(peak))
                .sorted(Comparator.comparingLong(Item::bytes).reversed()).limit(4).toList();
        StringBuilder sb = new StringBuilder();
        for (Item i : top) sb.append(sb.isEmpty() ? "" : ", ").append(i.what()).append(' ').append(human(i.bytes()));
        throw new BadInputException(String.format(Locale.ROOT, "--max-memory %s: %s needs about %s at its peak%s (largest: %s)%s",
                human(maxBytes), command, human(peakMemory()), peak == null ? "" : " during " + peak, sb, hint == null || hint.isEmpty() ? "" : "; " + hint));
    }

    /**
     * The largest n in [1, max] whose {@code bytesFor(n)} fits in {@code budget} (1 when none does:
     * the caller's plan then shows the overrun and {@link #enforce} refuses it).
     */
    public static int largestFitting(int max, long budget, java.util.function.IntToLongFunction bytesFor) {
        int lo = 1, hi = Math.max(1, max);
        if (bytesFor.applyAsLong(hi) <= budget) return hi;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (bytesFor.applyAsLong(mid) <= budget) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    /** Parses "6g", "6G", "6GiB", "6GB" (all binary), "512m", "4096M", "1.5g", or plain bytes. */
    public static long parseBytes(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
        if (t.isEmpty()) throw new IllegalArgumentException("empty size");
        long unit = 1;
        char last = t.charAt(t.length() - 1);
        switch (last) {
            case 'k' -> unit = 1L << 10;
            case 'm' -> unit = 1L << 20;
            case 'g' -> unit = 1L << 30;
            case 't' -> unit = 1L << 40;
            default -> { }
        }
        String num = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            double v = Double.parseDouble(num);
            if (!(v > 0) || Double.isInfinite(v)) throw new NumberFormatException();
            return (long) Math.ceil(v * unit);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad size '" + s + "', expected e.g. 6g, 6GiB, 512m");
        }
    }

    public static String human(long bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        if (bytes >= 1L << 10) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        return bytes + " B";
    }

    public static String duration(double s) {
        if (!Double.isFinite(s)) return "?";
        if (s < 60) return String.format(Locale.ROOT, "%.0f s", Math.max(0, s));
        if (s < 3600) return String.format(Locale.ROOT, "%.1f min", s / 60);
        if (s < 86400 * 2) return String.format(Locale.ROOT, "%.1f h", s / 3600);
        return String.format(Locale.ROOT, "%.1f days", s / 86400);
    }
}
