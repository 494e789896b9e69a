package dev.mixprune.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Test helpers that locate and patch fields inside a written file. */
final class Bytes {
    private Bytes() {}

    /** Index just after the first occurrence of the GGUF string {@code s} (u64 length + bytes). */
    static int afterGgufString(byte[] b, String s) {
        byte[] needle = s.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 8; i + needle.length <= b.length; i++) {
            for (int j = 0; j < needle.length; j++) if (b[i + j] != needle[j]) continue outer;
            if (le(b).getLong(i - 8) == needle.length) return i + needle.length;
        }
        throw new AssertionError("string " + s + " not found");
    }

    static ByteBuffer le(byte[] b) { return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN); }

    static void putInt(byte[] b, int at, int v) { le(b).putInt(at, v); }
    static void putLong(byte[] b, int at, long v) { le(b).putLong(at, v); }
    static long getLong(byte[] b, int at) { return le(b).getLong(at); }
    static int getInt(byte[] b, int at) { return le(b).getInt(at); }

    /** Position of a tensor info's type field (after name, n_dims and dims). */
    static int tensorTypeAt(byte[] b, String name) {
        int p = afterGgufString(b, name);
        int nd = getInt(b, p);
        return p + 4 + 8 * nd;
    }

    /** Absolute position of a tensor's data, given the data section start. */
    static long tensorDataAt(byte[] b, String name, long dataStart) {
        return dataStart + getLong(b, tensorTypeAt(b, name) + 4);
    }
}
