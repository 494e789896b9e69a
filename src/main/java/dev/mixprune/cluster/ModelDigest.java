package dev.mixprune.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * The checksum a coordinator and its workers compare before a worker evaluates anything on its
 * copy of a model: SHA-256 over the whole content, computed as a two-level tree so that it runs on
 * every core. Each 64 MiB segment of a file is hashed on its own; the checksum of a file is
 * SHA-256 of its size and its segments' digests in order; a directory (HF models) hashes each
 * regular file's name and checksum in name order.
 *
 * <p>Why not size + modification time: a copy made with another tool, a re-download of another
 * revision or a partly written file can share both. Why not a sample of the file: one changed
 * weight anywhere changes every fitness value. Cost: the file is read once (SHA-256 runs at
 * 0.3-1.5 GB/s per core, so a 13.5 GB 7B F16 file takes 10-40 s on two cores); a candidate
 * evaluation reads the whole model anyway, and a search makes hundreds of them.
 */
public final class ModelDigest {
    private ModelDigest() {}

    static final int SEGMENT = 64 << 20;

    /** Hex SHA-256 tree checksum of a file or of a directory's regular files. */
    public static String of(Path path) throws IOException { return of(path, SEGMENT); }

    /** With another segment size (tests: several segments in a small file). */
    static String of(Path path, int segment) throws IOException {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        try (ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "mixprune-digest");
            t.setDaemon(true);
            return t;
        })) {
            if (!Files.isDirectory(path)) return HexFormat.of().formatHex(file(path, pool, segment));
            MessageDigest top = sha256();
            List<Path> files;
            try (Stream<Path> s = Files.list(path)) {
                files = s.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path f : files) {
                top.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                top.update((byte) 0);
                top.update(file(f, pool, segment));
            }
            return HexFormat.of().formatHex(top.digest());
        }
    }

    private static byte[] file(Path f, ExecutorService pool, int segment) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            long size = ch.size();
            int segments = (int) Math.max(1, (size + segment - 1) / segment);
            @SuppressWarnings("unchecked") Future<byte[]>[] parts = new Future[segments];
            for (int s = 0; s < segments; s++) {
                long from = (long) s * segment, len = Math.min(segment, size - from);
                parts[s] = pool.submit(() -> segment(ch, from, len));
            }
            MessageDigest top = sha256();
            top.update(ByteBuffer.allocate(8).putLong(size).array());
            for (Future<byte[]> p : parts) top.update(get(p, f));
            return top.digest();
        }
    }

    /** Positional reads: the segments share the channel but not a file position. */
    private static byte[] segment(FileChannel ch, long from, long len) throws IOException {
        MessageDigest md = sha256();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        long pos = from, end = from + len;
        while (pos < end) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
            int n = ch.read(buf, pos);
            if (n < 0) throw new IOException("file shrank while being hashed");
            pos += n;
            buf.flip();
            md.update(buf);
        }
        return md.digest();
    }

    private static byte[] get(Future<byte[]> f, Path file) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while hashing " + file, e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw new IOException(file + ": " + io.getMessage(), io);
            throw new UncheckedIOException(new IOException(file + ": " + e.getCause(), e.getCause()));
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
