package dev.mixprune.allocate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** search-trace.json: {"generations": [{generation, best_fitness, mean_fitness, evaluations}]}. */
public final class SearchTrace {
    private SearchTrace() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    public static ObjectNode toJson(List<TraceEntry> trace) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode a = root.putArray("generations");
        for (TraceEntry t : trace) {
            a.addObject().put("generation", t.generation()).put("best_fitness", t.bestFitness())
                    .put("mean_fitness", t.meanFitness()).put("evaluations", t.evaluations());
        }
        return root;
    }

    public static void save(List<TraceEntry> trace, Path file) throws IOException {
        save(trace, null, file);
    }

    /**
     * With {@code cluster} (a search run with --cluster): the same file plus a top-level
     * {@code "cluster"} member after {@code "generations"} (who evaluated how much); without it the
     * file is exactly the single-machine trace.
     */
    public static void save(List<TraceEntry> trace, ObjectNode cluster, Path file) throws IOException {
        ObjectNode root = toJson(trace);
        if (cluster != null) root.set("cluster", cluster);
        AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }
}
