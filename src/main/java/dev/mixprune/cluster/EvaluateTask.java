package dev.mixprune.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import dev.mixprune.allocate.TokenSample;

import java.io.IOException;
import java.util.concurrent.Callable;

/** Coordinator to worker: the fitness of one genome on one token sample of a prepared session. */
final class EvaluateTask implements Callable<EvaluateTask.Evaluated>, IdentifiedDataSerializable, HazelcastInstanceAware {
    private String session;
    private int[] genome;
    private int[] windows, lengths;
    private transient HazelcastInstance hz;

    EvaluateTask() {}

    EvaluateTask(String session, int[] genome, TokenSample sample) {
        this.session = session;
        this.genome = genome;
        this.windows = sample.windows();
        this.lengths = sample.lengths();
    }

    @Override public void setHazelcastInstance(HazelcastInstance hz) { this.hz = hz; }

    @Override public Evaluated call() {
        long t0 = System.nanoTime();
        double f = Worker.of(hz).evaluate(session, genome, new TokenSample(windows, lengths));
        return new Evaluated(f, System.nanoTime() - t0);
    }

    /** Payload bytes of this task's fields (what it adds to Hazelcast's own framing). */
    long payloadBytes() {
        return 4L + 2L * session.length() + 4L * (3 + genome.length + windows.length + lengths.length);
    }

    @Override public int getFactoryId() { return Wire.FACTORY_ID; }

    @Override public int getClassId() { return Wire.EVALUATE; }

    @Override public void writeData(ObjectDataOutput out) throws IOException {
        out.writeString(session);
        out.writeIntArray(genome);
        out.writeIntArray(windows);
        out.writeIntArray(lengths);
    }

    @Override public void readData(ObjectDataInput in) throws IOException {
        session = in.readString();
        genome = in.readIntArray();
        windows = in.readIntArray();
        lengths = in.readIntArray();
    }

    /** The fitness value and the worker's time for it. */
    static final class Evaluated implements IdentifiedDataSerializable {
        double value;
        long nanos;

        Evaluated() {}

        Evaluated(double value, long nanos) {
            this.value = value;
            this.nanos = nanos;
        }

        @Override public int getFactoryId() { return Wire.FACTORY_ID; }

        @Override public int getClassId() { return Wire.EVALUATED; }

        @Override public void writeData(ObjectDataOutput out) throws IOException {
            out.writeDouble(value);
            out.writeLong(nanos);
        }

        @Override public void readData(ObjectDataInput in) throws IOException {
            value = in.readDouble();
            nanos = in.readLong();
        }
    }
}
