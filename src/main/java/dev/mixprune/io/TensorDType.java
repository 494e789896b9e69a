package dev.mixprune.io;

import java.util.Locale;

/** Element type for writing weights (norm gains are always written as F32). */
public enum TensorDType {
    F32, F16;

    public static TensorDType parse(String s) {
        return switch (s.toUpperCase(Locale.ROOT)) {
            case "F32", "FLOAT32", "FP32" -> F32;
            case "F16", "FLOAT16", "FP16" -> F16;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "', expected f32 or f16");
        };
    }
}
