package dev.mixprune.io;

import java.util.Arrays;
import java.util.List;

/**
 * One GGUF metadata value with its exact on-disk type, so a writer can pass it through unchanged.
 *
 * <p>Representation of {@code value}: integer types as {@link Long} (UINT64 as its raw bits),
 * FLOAT32 as {@link Float}, FLOAT64 as {@link Double}, BOOL as {@link Boolean}, STRING as
 * {@link String}, ARRAY as {@link Array}.
 */
public record GgufValue(GgufValueType type, Object value) {

    /**
     * A typed array. {@code values}: long[] for integer element types, float[] FLOAT32, double[]
     * FLOAT64, boolean[] BOOL, String[] STRING, GgufValue[] for nested arrays (each an ARRAY value).
     */
    public record Array(GgufValueType elementType, Object values) {
        public int length() {
            return switch (values) {
                case long[] a -> a.length;
                case float[] a -> a.length;
                case double[] a -> a.length;
                case boolean[] a -> a.length;
                case String[] a -> a.length;
                case GgufValue[] a -> a.length;
                default -> throw new IllegalStateException("bad array storage " + values.getClass());
            };
        }

        @Override public boolean equals(Object o) {
            return o instanceof Array(GgufValueType t, Object v) && t == elementType && Arrays.deepEquals(new Object[]{values}, new Object[]{v});
        }

        @Override public int hashCode() { return elementType.hashCode() * 31 + Arrays.deepHashCode(new Object[]{values}); }

        @Override public String toString() {
            int n = length();
            return elementType + "[" + n + "]";
        }
    }

    public GgufValue {
        boolean ok = switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> value instanceof Long;
            case FLOAT32 -> value instanceof Float;
            case FLOAT64 -> value instanceof Double;
            case BOOL -> value instanceof Boolean;
            case STRING -> value instanceof String;
            case ARRAY -> value instanceof Array;
        };
        if (!ok) throw new IllegalArgumentException("GGUF " + type + " value cannot hold " + (value == null ? "null" : value.getClass().getSimpleName()));
    }

    public static GgufValue ofUint32(long v) { return new GgufValue(GgufValueType.UINT32, v); }
    public static GgufValue ofInt32(long v) { return new GgufValue(GgufValueType.INT32, v); }
    public static GgufValue ofFloat32(float v) { return new GgufValue(GgufValueType.FLOAT32, v); }
    public static GgufValue ofString(String v) { return new GgufValue(GgufValueType.STRING, v); }
    public static GgufValue ofBool(boolean v) { return new GgufValue(GgufValueType.BOOL, v); }
    public static GgufValue ofStrings(List<String> v) { return new GgufValue(GgufValueType.ARRAY, new Array(GgufValueType.STRING, v.toArray(new String[0]))); }
    public static GgufValue ofFloats(float[] v) { return new GgufValue(GgufValueType.ARRAY, new Array(GgufValueType.FLOAT32, v.clone())); }
    public static GgufValue ofIntegers(GgufValueType elementType, long[] v) {
        if (!elementType.isInteger()) throw new IllegalArgumentException(elementType + " is not an integer type");
        return new GgufValue(GgufValueType.ARRAY, new Array(elementType, v.clone()));
    }

    public long asLong() {
        if (value instanceof Long l) return l;
        throw new IllegalStateException("GGUF value of type " + type + " is not an integer");
    }

    public double asDouble() {
        return switch (value) {
            case Long l -> l;
            case Float f -> f;
            case Double d -> d;
            default -> throw new IllegalStateException("GGUF value of type " + type + " is not a number");
        };
    }

    public String asString() {
        if (value instanceof String s) return s;
        throw new IllegalStateException("GGUF value of type " + type + " is not a string");
    }

    public Array asArray() {
        if (value instanceof Array a) return a;
        throw new IllegalStateException("GGUF value of type " + type + " is not an array");
    }

    /** A short human-readable form (arrays summarized). */
    public String display() {
        if (value instanceof Array a) {
            int n = a.length();
            StringBuilder sb = new StringBuilder(a.toString()).append(' ');
            int show = Math.min(n, 4);
            sb.append('[');
            for (int i = 0; i < show; i++) {
                if (i > 0) sb.append(", ");
                sb.append(switch (a.values()) {
                    case long[] x -> String.valueOf(x[i]);
                    case float[] x -> String.valueOf(x[i]);
                    case double[] x -> String.valueOf(x[i]);
                    case boolean[] x -> String.valueOf(x[i]);
                    case String[] x -> '"' + x[i] + '"';
                    case GgufValue[] x -> x[i].display();
                    default -> "?";
                });
            }
            if (n > show) sb.append(", ...");
            return sb.append(']').toString();
        }
        if (value instanceof String s) return '"' + s + '"';
        if (type == GgufValueType.UINT64) return Long.toUnsignedString((Long) value);
        return String.valueOf(value);
    }
}
