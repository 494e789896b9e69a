package dev.mixprune.io;

/**
 * A tensor shape as a model file lists it (a {@code long[]} of dimensions, in the file's own order),
 * printed and counted the same way for every format.
 */
public final class TensorShapes {
    private TensorShapes() {}

    /** "[d0, d1, ...]" in the given order; "[]" for a scalar. */
    public static String text(long[] dims) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) sb.append(i == 0 ? "" : ", ").append(dims[i]);
        return sb.append(']').toString();
    }

    /** The product of the dimensions (1 for a scalar); callers that read untrusted headers check overflow first. */
    public static long elements(long[] dims) {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }
}
