package dev.mixprune.io;

import java.util.Locale;

/**
 * Element type for writing weights (norm gains and biases are always written as F32). The two
 * block-quantized types are ggml's Q8_0 and Q4_0 (GGUF only; bit-exact to llama.cpp's quantizer,
 * {@code quant.GgmlBlocks}); a 2-D tensor whose rows are not a whole number of 32-value blocks is
 * written as F16 instead (see {@link #ggmlTypeFor}).
 */
public enum TensorDType {
    F32, F16, Q8_0, Q4_0;

    public static TensorDType parse(String s) {
        return switch (s.toUpperCase(Locale.ROOT)) {
            case "F32", "FLOAT32", "FP32" -> F32;
            case "F16", "FLOAT16", "FP16" -> F16;
            case "Q8_0", "Q8" -> Q8_0;
            case "Q4_0", "Q4" -> Q4_0;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "', expected f32, f16, q8_0 or q4_0");
        };
    }

    /** True for the block-quantized types (GGUF only). */
    public boolean quantized() { return this == Q8_0 || this == Q4_0; }

    /** The ggml type of a 2-D weight with rows of {@code cols} values: F16 when a quantized type's 32-value blocks do not fit. */
    public GgmlType ggmlTypeFor(long cols) {
        return switch (this) {
            case F32 -> GgmlType.F32;
            case F16 -> GgmlType.F16;
            case Q8_0 -> cols % 32 == 0 ? GgmlType.Q8_0 : GgmlType.F16;
            case Q4_0 -> cols % 32 == 0 ? GgmlType.Q4_0 : GgmlType.F16;
        };
    }

    /** llama.cpp's {@code general.file_type} (llama_ftype): ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q4_0 2, MOSTLY_Q8_0 7. */
    public int llamaFileType() {
        return switch (this) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
        };
    }

    public String lower() { return name().toLowerCase(Locale.ROOT); }
}
