package dev.mixprune.cluster;

import com.hazelcast.core.HazelcastInstance;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The coordinator's registry of the files its sessions serve to workers ({@link FetchTask}):
 * session id and artifact name to a file the coordinator wrote itself. Nothing else on the
 * coordinator's disk can be read through it.
 */
final class ArtifactServer {
    static final String CONTEXT_KEY = "mixprune.artifacts";

    private final Map<String, Map<String, Path>> sessions = new ConcurrentHashMap<>();

    static ArtifactServer of(HazelcastInstance hz) {
        Object o = hz.getUserContext().get(CONTEXT_KEY);
        if (!(o instanceof ArtifactServer a)) throw new IllegalStateException("this member is not a mixprune coordinator");
        return a;
    }

    void register(String session, Map<String, Path> files) { sessions.put(session, Map.copyOf(files)); }

    void unregister(String session) { sessions.remove(session); }

    byte[] read(String session, String artifact, long offset, int length) throws IOException {
        Map<String, Path> files = sessions.get(session);
        if (files == null) throw new IllegalStateException("session " + session + " is not served here (finished, or another coordinator's)");
        Path p = files.get(artifact);
        if (p == null) throw new IllegalArgumentException("session " + session + " has no artifact '" + artifact + "'");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset > size) throw new IllegalArgumentException("offset " + offset + " beyond the " + size + " bytes of " + artifact);
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(length, size - offset));
            long pos = offset;
            while (buf.hasRemaining()) {
                int n = ch.read(buf, pos);
                if (n < 0) break;
                pos += n;
            }
            return buf.array();
        }
    }
}
