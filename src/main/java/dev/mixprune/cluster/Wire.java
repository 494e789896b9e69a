package dev.mixprune.cluster;

import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * The only objects mixprune members exchange: plain data records (genomes, token windows, seeds,
 * model references, numbers) serialized field by field through Hazelcast's
 * {@link IdentifiedDataSerializable} with this factory. Nothing is sent as Java-serialized objects
 * or code; a member deserializes only these classes (and Hazelcast's own).
 */
final class Wire implements DataSerializableFactory {
    static final int FACTORY_ID = 0x4d58; // "MX"

    static final int SESSION_SPEC = 1, PREPARE = 2, PREPARED = 3, EVALUATE = 4, EVALUATED = 5, FETCH = 6, FISHER = 7, FISHER_RESULT = 8;

    @Override public IdentifiedDataSerializable create(int typeId) {
        return switch (typeId) {
            case SESSION_SPEC -> new SessionSpec();
            case PREPARE -> new PrepareTask();
            case PREPARED -> new PrepareTask.Prepared();
            case EVALUATE -> new EvaluateTask();
            case EVALUATED -> new EvaluateTask.Evaluated();
            case FETCH -> new FetchTask();
            case FISHER -> new FisherTask();
            case FISHER_RESULT -> new FisherTask.Result();
            default -> null; // Hazelcast reports an unknown type id
        };
    }
}
