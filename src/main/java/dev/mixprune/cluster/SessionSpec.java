package dev.mixprune.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import dev.mixprune.allocate.KlFitness;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What a worker needs for a coordinator's tasks. Every session names the model (a reference
 * relative to the worker's models root and its checksum) and the coordinator's numeric profile; a
 * search session also carries what evaluating candidates exactly as the coordinator would takes:
 * the fitness windows (tokens), the fitness options, and the coordinator's artifacts (level masks,
 * dense targets) by name, size and checksum, fetched from the coordinator in chunks. A model-only
 * session serves Fisher tasks. Plain data only.
 */
final class SessionSpec implements IdentifiedDataSerializable {
    /** A file the coordinator serves for this session. */
    record Artifact(String name, long bytes, String sha256) {}

    static final String MASKS_HEADER = "masks-header", MASKS_DATA = "masks-data", DENSE_TARGETS = "dense-targets";
    static final List<String> ARTIFACT_NAMES = List.of(MASKS_HEADER, MASKS_DATA, DENSE_TARGETS);

    String id;
    boolean search;          // false: a model-only session (Fisher windows)
    String coordinator;      // member UUID of the coordinator (where artifacts are fetched from)
    String model;            // reference relative to a models root
    String modelSha256;
    String profile;          // NumericProfile.wire() of the coordinator
    int[][] windows = new int[0][];
    KlFitness.Options options;
    String dataId;
    String fitnessDescription;
    long heapLimit;
    List<Artifact> artifacts = new ArrayList<>();

    SessionSpec() {}

    /** A search session with a fresh id. */
    static SessionSpec search(String coordinator, String model, String modelSha256, List<int[]> windows, KlFitness.Options options,
                              String dataId, String fitnessDescription, long heapLimit, List<Artifact> artifacts) {
        SessionSpec s = modelOnly(coordinator, model, modelSha256);
        s.search = true;
        s.windows = windows.toArray(new int[0][]);
        s.options = options;
        s.dataId = dataId;
        s.fitnessDescription = fitnessDescription;
        s.heapLimit = heapLimit;
        s.artifacts = List.copyOf(artifacts);
        return s;
    }

    /** A session that only names the model (Fisher tasks), with a fresh id. */
    static SessionSpec modelOnly(String coordinator, String model, String modelSha256) {
        SessionSpec s = new SessionSpec();
        s.id = java.util.UUID.randomUUID().toString().substring(0, 8);
        s.coordinator = coordinator;
        s.model = model;
        s.modelSha256 = modelSha256;
        s.profile = NumericProfile.current().wire();
        return s;
    }

    Artifact artifact(String name) {
        for (Artifact a : artifacts) if (a.name().equals(name)) return a;
        return null;
    }

    @Override public int getFactoryId() { return Wire.FACTORY_ID; }

    @Override public int getClassId() { return Wire.SESSION_SPEC; }

    @Override public void writeData(ObjectDataOutput out) throws IOException {
        out.writeString(id);
        out.writeString(coordinator);
        out.writeString(model);
        out.writeString(modelSha256);
        out.writeString(profile);
        out.writeBoolean(search);
        if (!search) return;
        out.writeInt(windows.length);
        for (int[] w : windows) out.writeIntArray(w);
        out.writeString(options.kind().name());
        out.writeInt(options.topK());
        out.writeLong(options.batchBytes());
        out.writeInt(options.vocabChunk());
        out.writeString(dataId);
        out.writeString(fitnessDescription);
        out.writeLong(heapLimit);
        out.writeInt(artifacts.size());
        for (Artifact a : artifacts) {
            out.writeString(a.name());
            out.writeLong(a.bytes());
            out.writeString(a.sha256());
        }
    }

    @Override public void readData(ObjectDataInput in) throws IOException {
        id = in.readString();
        coordinator = in.readString();
        model = in.readString();
        modelSha256 = in.readString();
        profile = in.readString();
        search = in.readBoolean();
        if (!search) return;
        int n = in.readInt();
        if (n < 1 || n > 1 << 20) throw new IOException("session spec: " + n + " fitness windows");
        windows = new int[n][];
        for (int i = 0; i < n; i++) windows[i] = in.readIntArray();
        options = new KlFitness.Options(KlFitness.Kind.valueOf(in.readString()), in.readInt(), in.readLong(), in.readInt());
        dataId = in.readString();
        fitnessDescription = in.readString();
        heapLimit = in.readLong();
        int a = in.readInt();
        if (a < 0 || a > ARTIFACT_NAMES.size()) throw new IOException("session spec: " + a + " artifacts");
        artifacts = new ArrayList<>();
        for (int i = 0; i < a; i++) {
            String name = in.readString();
            if (!ARTIFACT_NAMES.contains(name)) throw new IOException("session spec: unknown artifact '" + name + "'");
            artifacts.add(new Artifact(name, in.readLong(), in.readString()));
        }
    }
}
