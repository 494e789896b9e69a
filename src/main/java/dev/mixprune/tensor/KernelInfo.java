package dev.mixprune.tensor;

/**
 * Which numeric kernel path is active. A JVM started without {@code --add-modules
 * jdk.incubator.vector} silently runs scalar code many times slower; {@link #warnIfScalar()} makes
 * that loud.
 */
public final class KernelInfo {
    private KernelInfo() {}

    private static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    static {
        // Loud and automatic: every kernel asks this class first, so the warning appears once, on
        // first use, in every program that would otherwise silently run 10-50x slower.
        if (!VECTOR) System.err.println(scalarWarning());
    }

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

    /**
     * Prints {@link #describe()} and checks the kernels on a small product, e.g.
     * {@code java --add-modules jdk.incubator.vector -cp target/classes dev.mixprune.tensor.KernelInfo}.
     */
    public static void main(String[] args) {
        System.out.println(describe());
        Matrix a = new Matrix(7, 33), b = new Matrix(9, 33);
        for (int i = 0; i < a.size(); i++) a.data()[i] = (i % 5) - 2;
        for (int i = 0; i < b.size(); i++) b.data()[i] = (i % 3) - 1;
        Matrix c = Gemm.nt(a, b), ref = new Matrix(7, 9);
        GemmReference.nt(a, b, ref, false);
        float[] y = new float[9];
        Gemv.multiply(b, a.rowSlice(0, 1).data(), y);
        float[] soft = {1f, 2f, 3f};
        VectorOps.softmaxInPlace(soft, 0, 3);
        double d = Cholesky.inverseUpperFactor(new double[]{4, 0, 0, 9}, 2)[0];
        boolean ok = java.util.Arrays.equals(c.data(), ref.data()) && y[0] == ref.get(0, 0) && d == 0.5
                && Math.abs(soft[0] + soft[1] + soft[2] - 1f) < 1e-6f;
        System.out.println("self-check: " + (ok ? "ok" : "FAILED"));
        if (!ok) System.exit(1);
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
