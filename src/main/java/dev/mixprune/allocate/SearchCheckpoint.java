package dev.mixprune.allocate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.io.AtomicFiles;
import dev.mixprune.json.JsonChecks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the search needs to continue after generation {@code completedGeneration} exactly as
 * an uninterrupted run would: the generator state, the parents with their fitness (tournaments
 * read it), the trace and the evaluation count. {@code fingerprint} ties it to one search setup.
 * <pre>
 * { "format": "mixprune.search-checkpoint", "version": 1, "fingerprint": "...",
 *   "completed_generation": 7, "rng_state": "0123456789abcdef", "evaluations": 1234,
 *   "parents": [ { "genes": [3, 4, ...], "fitness": 0.71 }, ... ],
 *   "trace": [ { "generation": 0, "best_fitness": 0.9, "mean_fitness": 1.1, "evaluations": 12 }, ... ] }
 * </pre>
 */
public record SearchCheckpoint(String fingerprint, int completedGeneration, long rngState, long evaluations,
                               List<int[]> parents, double[] parentFitness, List<TraceEntry> trace) {

    public static final String FORMAT = "mixprune.search-checkpoint";
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    public SearchCheckpoint {
        parents = parents.stream().map(int[]::clone).toList();
        parentFitness = parentFitness.clone();
        trace = List.copyOf(trace);
    }

    public void save(Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("fingerprint", fingerprint);
        root.put("completed_generation", completedGeneration);
        root.put("rng_state", Long.toHexString(rngState));
        root.put("evaluations", evaluations);
        ArrayNode ps = root.putArray("parents");
        for (int i = 0; i < parents.size(); i++) {
            ObjectNode p = ps.addObject();
            ArrayNode g = p.putArray("genes");
            for (int v : parents.get(i)) g.add(v);
            p.put("fitness", parentFitness[i]);
        }
        root.set("trace", SearchTrace.toJson(trace).get("generations"));
        AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    /** Reads and structurally checks a checkpoint; every problem names the file and the field. */
    public static SearchCheckpoint load(Path file) throws IOException {
        JsonNode root = JsonChecks.readTree(file, "corrupted search checkpoint, not valid JSON");
        // Said here rather than by requireHeader: a truncated checkpoint is the likely cause.
        if (root == null || !root.isObject()) throw BadInputException.in(file, "corrupted search checkpoint: expected a JSON object");
        JsonChecks.requireHeader(root, file.toString(), FORMAT, VERSION);
        String fp = text(file, root, "fingerprint");
        int gen = integer(file, root, "completed_generation");
        if (gen < 0) throw BadInputException.in(file, "field 'completed_generation' must be >= 0, got " + gen);
        long rng;
        try {
            rng = Long.parseUnsignedLong(text(file, root, "rng_state"), 16);
        } catch (NumberFormatException e) {
            throw BadInputException.in(file, "field 'rng_state' must be a hexadecimal 64-bit number");
        }
        JsonNode ev = root.path("evaluations");
        if (!ev.canConvertToLong() || !ev.isIntegralNumber()) throw BadInputException.in(file, "field 'evaluations' missing or not an integer");
        JsonNode ps = root.path("parents");
        if (!ps.isArray() || ps.isEmpty()) throw BadInputException.in(file, "field 'parents' must be a non-empty array");
        List<int[]> parents = new ArrayList<>();
        double[] fit = new double[ps.size()];
        for (int i = 0; i < ps.size(); i++) {
            JsonNode p = ps.get(i);
            JsonNode g = p.path("genes");
            if (!g.isArray()) throw BadInputException.in(file, "field 'parents[" + i + "].genes' must be an array of levels");
            int[] genes = new int[g.size()];
            for (int j = 0; j < genes.length; j++) {
                if (!g.get(j).isInt()) throw BadInputException.in(file, "field 'parents[" + i + "].genes[" + j + "]' must be an integer level");
                genes[j] = g.get(j).asInt();
            }
            parents.add(genes);
            if (!p.path("fitness").isNumber()) throw BadInputException.in(file, "field 'parents[" + i + "].fitness' must be a number");
            fit[i] = p.get("fitness").asDouble();
        }
        JsonNode tr = root.path("trace");
        if (!tr.isArray()) throw BadInputException.in(file, "field 'trace' must be an array");
        List<TraceEntry> trace = new ArrayList<>();
        for (int i = 0; i < tr.size(); i++) {
            JsonNode t = tr.get(i);
            for (String f : new String[]{"generation", "best_fitness", "mean_fitness", "evaluations"}) {
                if (!t.path(f).isNumber()) throw BadInputException.in(file, "field 'trace[" + i + "]." + f + "' must be a number");
            }
            trace.add(new TraceEntry(t.get("generation").asInt(), t.get("best_fitness").asDouble(), t.get("mean_fitness").asDouble(), t.get("evaluations").asLong()));
        }
        if (trace.size() != gen + 1) throw BadInputException.in(file, "field 'trace' has " + trace.size() + " entries, expected " + (gen + 1) + " for completed_generation " + gen);
        return new SearchCheckpoint(fp, gen, rng, ev.asLong(), parents, fit, trace);
    }

    private static String text(Path file, JsonNode root, String f) {
        JsonNode n = root.path(f);
        if (!n.isTextual()) throw BadInputException.in(file, "field '" + f + "' missing or not a string");
        return n.asText();
    }

    private static int integer(Path file, JsonNode root, String f) {
        JsonNode n = root.path(f);
        if (!n.isInt()) throw BadInputException.in(file, "field '" + f + "' missing or not an integer");
        return n.asInt();
    }
}
