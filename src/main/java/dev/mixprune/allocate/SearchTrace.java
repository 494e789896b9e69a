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
        AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(trace)));
    }
}
