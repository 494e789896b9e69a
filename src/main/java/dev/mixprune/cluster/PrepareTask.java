package dev.mixprune.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

import java.io.IOException;
import java.util.concurrent.Callable;

/** Coordinator to worker: get ready to evaluate a session's candidates (check the model, fetch the artifacts, rebuild the fitness). */
final class PrepareTask implements Callable<PrepareTask.Prepared>, IdentifiedDataSerializable, HazelcastInstanceAware {
    private SessionSpec spec;
    private transient HazelcastInstance hz;

    PrepareTask() {}

    PrepareTask(SessionSpec spec) { this.spec = spec; }

    @Override public void setHazelcastInstance(HazelcastInstance hz) { this.hz = hz; }

    @Override public Prepared call() throws Exception {
        return Worker.of(hz).prepare(spec);
    }

    @Override public int getFactoryId() { return Wire.FACTORY_ID; }

    @Override public int getClassId() { return Wire.PREPARE; }

    @Override public void writeData(ObjectDataOutput out) throws IOException { out.writeObject(spec); }

    @Override public void readData(ObjectDataInput in) throws IOException { spec = in.readObject(); }

    /** The worker is ready: how long it took (checksum, artifacts, fitness) and with how many threads it evaluates. */
    static final class Prepared implements IdentifiedDataSerializable {
        double seconds;
        int threads;

        Prepared() {}

        Prepared(double seconds, int threads) {
            this.seconds = seconds;
            this.threads = threads;
        }

        @Override public int getFactoryId() { return Wire.FACTORY_ID; }

        @Override public int getClassId() { return Wire.PREPARED; }

        @Override public void writeData(ObjectDataOutput out) throws IOException {
            out.writeDouble(seconds);
            out.writeInt(threads);
        }

        @Override public void readData(ObjectDataInput in) throws IOException {
            seconds = in.readDouble();
            threads = in.readInt();
        }
    }
}
