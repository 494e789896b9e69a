package dev.mixprune.io;

/**
 * ggml tensor element types that a GGUF file may hold, with their block layout (elements per
 * block, bytes per block) so that sizes can be checked for every known type, even those this
 * project cannot dequantize (only F32, F16, BF16, Q8_0 and Q4_0 can be; see {@link #canDequantize}).
 */
public enum GgmlType {
    F32(0, 1, 4), F16(1, 1, 2), Q4_0(2, 32, 18), Q4_1(3, 32, 20), Q5_0(6, 32, 22), Q5_1(7, 32, 24),
    Q8_0(8, 32, 34), Q8_1(9, 32, 36), Q2_K(10, 256, 84), Q3_K(11, 256, 110), Q4_K(12, 256, 144),
    Q5_K(13, 256, 176), Q6_K(14, 256, 210), Q8_K(15, 256, 292), I8(24, 1, 1), I16(25, 1, 2), I32(26, 1, 4),
    I64(27, 1, 8), F64(28, 1, 8), BF16(30, 1, 2);

    private final int id;
    private final int blockElements;
    private final int blockBytes;

    GgmlType(int id, int blockElements, int blockBytes) {
        this.id = id;
        this.blockElements = blockElements;
        this.blockBytes = blockBytes;
    }

    public int id() { return id; }
    public int blockElements() { return blockElements; }
    public int blockBytes() { return blockBytes; }

    public boolean canDequantize() { return this == F32 || this == F16 || this == BF16 || this == Q8_0 || this == Q4_0; }

    /** Bytes for {@code elements} values, or -1 when the count is not a whole number of blocks. */
    public long bytesFor(long elements) {
        if (elements % blockElements != 0) return -1;
        return Math.multiplyExact(elements / blockElements, (long) blockBytes);
    }

    public static GgmlType byId(long id) {
        for (GgmlType t : values()) if (t.id == id) return t;
        return null;
    }

    public static String supportedList() {
        StringBuilder sb = new StringBuilder();
        for (GgmlType t : values()) sb.append(sb.isEmpty() ? "" : ", ").append(t.name()).append('=').append(t.id);
        return sb.toString();
    }
}
