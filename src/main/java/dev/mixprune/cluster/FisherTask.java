package dev.mixprune.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

import java.io.IOException;
import java.util.concurrent.Callable;

/**
 * Coordinator to worker: the per-window part of the Fisher traces (protocols.md F) for a range of
 * calibration windows, on the session's model: each window's squared gradient sums per layer and its
 * loss ({@code StreamingFisher.perWindow}, whose values do not depend on which windows share a task).
 */
final class FisherTask implements Callable<FisherTask.Result>, IdentifiedDataSerializable, HazelcastInstanceAware {
    private String session;
    private int[][] windows;
    private long groupBytes, headChunkBytes;
    private transient HazelcastInstance hz;

    FisherTask() {}

    FisherTask(String session, int[][] windows, long groupBytes, long headChunkBytes) {
        this.session = session;
        this.windows = windows;
        this.groupBytes = groupBytes;
        this.headChunkBytes = headChunkBytes;
    }

    @Override public void setHazelcastInstance(HazelcastInstance hz) { this.hz = hz; }

    /** Windows in this task. */
    int windows() { return windows.length; }

    @Override public Result call() throws IOException {
        long t0 = System.nanoTime();
        var pw = Worker.of(hz).fisher(session, windows, groupBytes, headChunkBytes);
        return new Result(pw.squares(), pw.losses(), System.nanoTime() - t0);
    }

    @Override public int getFactoryId() { return Wire.FACTORY_ID; }

    @Override public int getClassId() { return Wire.FISHER; }

    @Override public void writeData(ObjectDataOutput out) throws IOException {
        out.writeString(session);
        out.writeLong(groupBytes);
        out.writeLong(headChunkBytes);
        out.writeInt(windows.length);
        for (int[] w : windows) out.writeIntArray(w);
    }

    @Override public void readData(ObjectDataInput in) throws IOException {
        session = in.readString();
        groupBytes = in.readLong();
        headChunkBytes = in.readLong();
        int n = in.readInt();
        if (n < 1 || n > 1 << 20) throw new IOException("Fisher task with " + n + " windows");
        windows = new int[n][];
        for (int i = 0; i < n; i++) windows[i] = in.readIntArray();
    }

    /** Per window: squared gradient sums per layer and the loss; the worker's time. */
    static final class Result implements IdentifiedDataSerializable {
        double[][] squares;
        double[] losses;
        long nanos;

        Result() {}

        Result(double[][] squares, double[] losses, long nanos) {
            this.squares = squares;
            this.losses = losses;
            this.nanos = nanos;
        }

        @Override public int getFactoryId() { return Wire.FACTORY_ID; }

        @Override public int getClassId() { return Wire.FISHER_RESULT; }

        @Override public void writeData(ObjectDataOutput out) throws IOException {
            out.writeInt(squares.length);
            for (double[] s : squares) out.writeDoubleArray(s);
            out.writeDoubleArray(losses);
            out.writeLong(nanos);
        }

        @Override public void readData(ObjectDataInput in) throws IOException {
            int n = in.readInt();
            squares = new double[n][];
            for (int i = 0; i < n; i++) squares[i] = in.readDoubleArray();
            losses = in.readDoubleArray();
            nanos = in.readLong();
        }
    }
}
