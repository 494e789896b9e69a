package dev.mixprune.tensor;

/**
 * Which numeric kernel path is active. A JVM started without {@code --add-modules
 * jdk.incubator.vector} silently runs scalar code many times slower; {@link #warnIfScalar()} makes
 * that loud.
 */
public final class KernelInfo {
    private KernelInfo() {}

    private static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** True when the Vector API module is in the boot layer (so the SIMD kernels are used). */
    public static boolean vectorAvailable() { return VECTOR; }

    /** Bit width of the preferred float vector, or 0 without the Vector API. */
    public static int vectorBits() { return VECTOR ? VectorSpeciesInfo.bits() : 0; }

    /** One line: kernel path, species and bit width, thread count. */
    public static String describe() {
        int threads = ThreadTeam.shared().size();
        if (!VECTOR) {
            return "kernels: SCALAR fallback (jdk.incubator.vector missing: start java with --add-modules jdk.incubator.vector), threads=" + threads;
        }
        return "kernels: Vector API " + VectorSpeciesInfo.describe() + ", GEMM micro-tile "
                + GemmVector.MR + "x" + GemmVector.NR + ", threads=" + threads;
    }

    /** The warning printed when the Vector module is missing, or null when all is well. */
    public static String scalarWarning() {
        if (VECTOR) return null;
        return "WARNING: *** jdk.incubator.vector is NOT available: mixprune runs scalar kernels, "
                + "10-50x slower. Start java with --add-modules jdk.incubator.vector (./mixprune does). ***";
    }

    /** Prints {@link #scalarWarning()} to stderr when the Vector module is missing; returns whether it did. */
    public static boolean warnIfScalar() {
        String w = scalarWarning();
        if (w == null) return false;
        System.err.println(w);
        return true;
    }

    /** Isolates the Vector API reference so that this class loads without the module. */
    private static final class VectorSpeciesInfo {
        static int bits() { return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize(); }

        static String describe() {
            var s = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
            return s.vectorBitSize() + "-bit (" + s.length() + " floats, " + s + ")";
        }
    }
}
