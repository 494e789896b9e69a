package dev.mixprune.io;

import dev.mixprune.quant.GgmlBlocks;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Little-endian streaming writer with a small buffer and a byte position (for alignment padding). */
final class LeOutput {
    private final OutputStream out;
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private long position;

    LeOutput(OutputStream out) { this.out = out; }

    long position() { return position + buf.position(); }

    private void ensure(int n) throws IOException { if (buf.remaining() < n) flush(); }

    void u8(int v) throws IOException { ensure(1); buf.put((byte) v); }
    void i16(short v) throws IOException { ensure(2); buf.putShort(v); }
    void i32(int v) throws IOException { ensure(4); buf.putInt(v); }
    void i64(long v) throws IOException { ensure(8); buf.putLong(v); }
    void f32(float v) throws IOException { ensure(4); buf.putFloat(v); }
    void f64(double v) throws IOException { ensure(8); buf.putDouble(v); }

    void bytes(byte[] b) throws IOException {
        if (b.length <= buf.remaining()) { buf.put(b); return; }
        flush();
        out.write(b);
        position += b.length;
    }

    /** GGUF string: u64 byte length, then UTF-8 bytes. */
    void ggufString(String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        i64(b.length);
        bytes(b);
    }

    /** Bulk little-endian float32 (through the buffer in chunks, not one call per value). */
    void floats(float[] a) throws IOException {
        int i = 0;
        while (i < a.length) {
            if (buf.remaining() < 4) flush();
            int n = Math.min(a.length - i, buf.remaining() / 4);
            buf.asFloatBuffer().put(a, i, n); // the view inherits the buffer's little-endian order
            buf.position(buf.position() + 4 * n);
            i += n;
        }
    }

    /** float32 to IEEE half, round to nearest even (Float.floatToFloat16). */
    void halfs(float[] a) throws IOException {
        int i = 0;
        while (i < a.length) {
            if (buf.remaining() < 2) flush();
            int n = Math.min(a.length - i, buf.remaining() / 2);
            for (int k = 0; k < n; k++) buf.putShort(Float.floatToFloat16(a[i + k]));
            i += n;
        }
    }

    /**
     * Floats stored as ggml type {@code t}: F32, F16, or the block-quantized Q8_0 / Q4_0 (bit-exact
     * to ggml's reference quantizers, {@link GgmlBlocks}; {@code a} must be whole 32-value blocks).
     */
    void values(GgmlType t, float[] a) throws IOException {
        switch (t) {
            case F32 -> floats(a);
            case F16 -> halfs(a);
            case Q8_0, Q4_0 -> {
                if (a.length % GgmlBlocks.QK != 0) throw new IllegalArgumentException(a.length + " values are not whole " + t + " blocks");
                int chunk = GgmlBlocks.QK * 1024;
                byte[] b = new byte[(int) t.bytesFor(chunk)];
                for (int i = 0; i < a.length; i += chunk) {
                    int n = Math.min(chunk, a.length - i), nb = (int) t.bytesFor(n);
                    if (t == GgmlType.Q8_0) GgmlBlocks.quantizeQ8_0(a, i, n, b, 0);
                    else GgmlBlocks.quantizeQ4_0(a, i, n, b, 0);
                    if (nb == b.length) bytes(b);
                    else bytes(java.util.Arrays.copyOf(b, nb));
                }
            }
            default -> throw new IllegalArgumentException("cannot write floats as " + t);
        }
    }

    void zeros(long n) throws IOException { for (long i = 0; i < n; i++) u8(0); }

    void padTo(long alignment) throws IOException {
        long p = position();
        zeros(GgufFile.alignUp(p, alignment) - p);
    }

    void flush() throws IOException {
        out.write(buf.array(), 0, buf.position());
        position += buf.position();
        buf.clear();
    }
}
