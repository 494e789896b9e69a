package dev.mixprune.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

import java.io.IOException;
import java.util.concurrent.Callable;

/**
 * Worker to coordinator: a chunk of one of a session's artifacts, named by session and artifact
 * name (never by path: the coordinator serves only the files it registered for the session).
 */
final class FetchTask implements Callable<byte[]>, IdentifiedDataSerializable, HazelcastInstanceAware {
    static final int MAX_CHUNK = 4 << 20;

    private String session, artifact;
    private long offset;
    private int length;
    private transient HazelcastInstance hz;

    FetchTask() {}

    FetchTask(String session, String artifact, long offset, int length) {
        this.session = session;
        this.artifact = artifact;
        this.offset = offset;
        this.length = length;
    }

    @Override public void setHazelcastInstance(HazelcastInstance hz) { this.hz = hz; }

    @Override public byte[] call() throws IOException {
        if (length < 0 || length > MAX_CHUNK || offset < 0) throw new IllegalArgumentException("bad chunk " + offset + "+" + length);
        return ArtifactServer.of(hz).read(session, artifact, offset, length);
    }

    @Override public int getFactoryId() { return Wire.FACTORY_ID; }

    @Override public int getClassId() { return Wire.FETCH; }

    @Override public void writeData(ObjectDataOutput out) throws IOException {
        out.writeString(session);
        out.writeString(artifact);
        out.writeLong(offset);
        out.writeInt(length);
    }

    @Override public void readData(ObjectDataInput in) throws IOException {
        session = in.readString();
        artifact = in.readString();
        offset = in.readLong();
        length = in.readInt();
    }
}
