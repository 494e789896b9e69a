package dev.mixprune.recover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.BadInputException;
import dev.mixprune.io.AtomicFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A recovery checkpoint file: a JSON header, then named float32 tensors (values, and optionally
 * their Adam moments), little-endian. Written to a temporary file beside the target and renamed, so
 * a kill leaves the previous checkpoint intact. Reading checks the magic, the names, the sizes and
 * the end of the file, and names the file in every error.
 */
final class StateFile {
    private StateFile() {}

    private static final byte[] MAGIC = "MXRECOV1".getBytes(StandardCharsets.US_ASCII);
    private static final int CHUNK = 1 << 20;

    /** Writes {@code header} and the tensors (with their moments when {@code moments}) to {@code file}, atomically. */
    static void write(Path file, JsonNode header, List<Trainables.Tensor> tensors, boolean moments) throws IOException {
        AtomicFiles.writePath(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
                byte[] h = new ObjectMapper().writeValueAsBytes(header);
                buf.put(MAGIC).putInt(h.length);
                flushIfFull(ch, buf, h.length);
                putBytes(ch, buf, h);
                buf.putInt(tensors.size()).put((byte) (moments ? 1 : 0));
                for (Trainables.Tensor t : tensors) {
                    byte[] name = t.name().getBytes(StandardCharsets.UTF_8);
                    flushIfFull(ch, buf, 16 + name.length);
                    buf.putInt(name.length).put(name).putInt(t.values().length).putInt(moments ? t.adam().m().length : 0);
                    putFloats(ch, buf, t.values());
                    if (moments) {
                        putFloats(ch, buf, t.adam().m());
                        putFloats(ch, buf, t.adam().v());
                    }
                }
                buf.flip();
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);  // a checkpoint must survive a crash right after the rename
            }
        });
    }

    /** Reads {@code file}'s tensors into {@code into} (same names and sizes, in order) and returns its header. */
    static JsonNode read(Path file, List<Trainables.Tensor> into, boolean moments) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Reader r = new Reader(file, ch);
            byte[] magic = r.bytes(MAGIC.length);
            if (!java.util.Arrays.equals(magic, MAGIC)) throw BadInputException.in(file, "is not a mixprune recovery checkpoint (bad magic)");
            int hl = r.intValue("header length");
            if (hl < 2 || hl > (64 << 20)) throw BadInputException.in(file, "header length " + hl + " is implausible");
            JsonNode header = new ObjectMapper().readTree(r.bytes(hl));
            int n = r.intValue("tensor count");
            boolean hasMoments = r.bytes(1)[0] == 1;
            if (n != into.size() || hasMoments != moments) {
                throw BadInputException.in(file, "holds " + n + " tensors" + (hasMoments ? " with" : " without") + " optimizer state, expected " + into.size()
                        + (moments ? " with" : " without") + " (written for another model or mode)");
            }
            for (Trainables.Tensor t : into) {
                int nl = r.intValue("name length");
                if (nl < 1 || nl > 4096) throw BadInputException.in(file, "tensor name length " + nl + " is implausible");
                String name = new String(r.bytes(nl), StandardCharsets.UTF_8);
                int values = r.intValue("value count"), moms = r.intValue("moment count");
                int expectM = moments ? t.adam().m().length : 0;
                if (!name.equals(t.name()) || values != t.values().length || moms != expectM) {
                    throw BadInputException.in(file, "tensor '" + name + "' with " + values + " values and " + moms + " moments where '" + t.name() + "' with "
                            + t.values().length + " values and " + expectM + " moments was expected (checkpoint of another model?)");
                }
                r.floats(t.values());
                if (moments) {
                    r.floats(t.adam().m());
                    r.floats(t.adam().v());
                }
            }
            if (r.position() != ch.size()) throw BadInputException.in(file, "has " + (ch.size() - r.position()) + " bytes after its last tensor");
            return header;
        }
    }

    /** Reads only the header (to validate a checkpoint before the work it needs). */
    static JsonNode header(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Reader r = new Reader(file, ch);
            if (!java.util.Arrays.equals(r.bytes(MAGIC.length), MAGIC)) throw BadInputException.in(file, "is not a mixprune recovery checkpoint (bad magic)");
            int hl = r.intValue("header length");
            if (hl < 2 || hl > (64 << 20)) throw BadInputException.in(file, "header length " + hl + " is implausible");
            return new ObjectMapper().readTree(r.bytes(hl));
        }
    }

    /** Raw float arrays (activations), one after the other, atomically. */
    static void writeFloats(Path file, List<float[]> arrays) throws IOException {
        AtomicFiles.writePath(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
                buf.put(MAGIC).putInt(arrays.size());
                for (float[] a : arrays) {
                    flushIfFull(ch, buf, 4);
                    buf.putInt(a.length);
                    putFloats(ch, buf, a);
                }
                buf.flip();
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
            }
        });
    }

    /** Reads arrays written by {@link #writeFloats} into {@code into} (same count and lengths). */
    static void readFloats(Path file, List<float[]> into) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Reader r = new Reader(file, ch);
            if (!java.util.Arrays.equals(r.bytes(MAGIC.length), MAGIC)) throw BadInputException.in(file, "is not a mixprune recovery checkpoint (bad magic)");
            int n = r.intValue("array count");
            if (n != into.size()) throw BadInputException.in(file, "holds " + n + " arrays, expected " + into.size());
            for (float[] a : into) {
                int len = r.intValue("array length");
                if (len != a.length) throw BadInputException.in(file, "array of " + len + " values, expected " + a.length);
                r.floats(a);
            }
            if (r.position() != ch.size()) throw BadInputException.in(file, "has " + (ch.size() - r.position()) + " bytes after its last array");
        }
    }

    private static void flushIfFull(FileChannel ch, ByteBuffer buf, int need) throws IOException {
        if (buf.remaining() >= need) return;
        buf.flip();
        while (buf.hasRemaining()) ch.write(buf);
        buf.clear();
    }

    private static void putBytes(FileChannel ch, ByteBuffer buf, byte[] b) throws IOException {
        int at = 0;
        while (at < b.length) {
            flushIfFull(ch, buf, 1);
            int n = Math.min(buf.remaining(), b.length - at);
            buf.put(b, at, n);
            at += n;
        }
    }

    private static void putFloats(FileChannel ch, ByteBuffer buf, float[] a) throws IOException {
        int at = 0;
        while (at < a.length) {
            flushIfFull(ch, buf, 4);
            int n = Math.min(buf.remaining() / 4, a.length - at);
            buf.asFloatBuffer().put(a, at, n);
            buf.position(buf.position() + 4 * n);
            at += n;
        }
    }

    /** Sequential little-endian reads with errors naming the file. */
    private static final class Reader {
        private final Path file;
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        private long consumed;

        Reader(Path file, FileChannel ch) {
            this.file = file;
            this.ch = ch;
            buf.limit(0);
        }

        private void need(int n) throws IOException {
            if (buf.remaining() >= n) return;
            buf.compact();
            while (buf.position() < n) {
                if (ch.read(buf) < 0) throw BadInputException.in(file, "ends early (truncated checkpoint)");
            }
            buf.flip();
        }

        int intValue(String what) throws IOException {
            need(4);
            consumed += 4;
            return buf.getInt();
        }

        byte[] bytes(int n) throws IOException {
            byte[] out = new byte[n];
            int at = 0;
            while (at < n) {
                need(1);
                int k = Math.min(buf.remaining(), n - at);
                buf.get(out, at, k);
                at += k;
            }
            consumed += n;
            return out;
        }

        void floats(float[] a) throws IOException {
            int at = 0;
            while (at < a.length) {
                need(4);
                int k = Math.min(buf.remaining() / 4, a.length - at);
                buf.asFloatBuffer().get(a, at, k);
                buf.position(buf.position() + 4 * k);
                at += k;
            }
            consumed += 4L * a.length;
        }

        long position() { return consumed; }
    }
}
