package dev.mixprune.allocate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixprune.BadInputException;
import dev.mixprune.json.JsonChecks;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads per-layer Fisher traces F_l (protocols.md F) from the sensitivity command's JSON. Reads
 * what it needs and nothing more, so small format changes do not break it:
 * {@code "layers": {"blk.0.wq": 1.2e-3, ...}} or {@code "layers": {"blk.0.wq": {"trace": 1.2e-3}, ...}}
 * (also "fisher" / "fisher_trace"), or an array of {"layer": "blk.0.wq", "trace": ...}. When
 * the file names its model ("model": {dim, hidden_dim, n_layers, ...}) the shape must match.
 * Validated against the model (issue 13 F9): every prunable layer present, a {@code numel} given
 * for a layer equal to the layer's weight count, every trace finite and >= 0, their sum finite
 * (the search takes logs of block sums and densities) and not all zero (no information).
 */
public final class FisherTraces {
    private FisherTraces() {}

    private static final String[] VALUE_FIELDS = {"trace", "fisher_trace", "fisher", "F"};

    public static Map<LayerId, Double> read(Path file, LlamaConfig config) throws IOException {
        JsonNode root = JsonChecks.readTree(file, "Fisher file is not valid JSON");
        if (root == null || !root.isObject()) throw BadInputException.in(file, "Fisher file: expected a JSON object");
        JsonNode model = root.path("model");
        if (model.isObject()) {
            checkField(file, model, "dim", config.dim());
            checkField(file, model, "hidden_dim", config.hiddenDim());
            checkField(file, model, "n_layers", config.nLayers());
            checkField(file, model, "n_heads", config.nHeads());
            checkField(file, model, "n_kv_heads", config.nKvHeads());
            checkField(file, model, "vocab_size", config.vocabSize());
        }
        Map<LayerId, Double> out = new LinkedHashMap<>();
        JsonNode layers = root.path("layers");
        if (layers.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = layers.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                put(file, out, e.getKey(), e.getValue(), "layers." + e.getKey(), config);
            }
        } else if (layers.isArray()) {
            for (int i = 0; i < layers.size(); i++) {
                JsonNode n = layers.get(i);
                String name = n.path("layer").asText(n.path("name").asText(""));
                put(file, out, name, n, "layers[" + i + "]", config);
            }
        } else {
            throw BadInputException.in(file, "field 'layers' must map every prunable layer (blk.N.wq ...) to its Fisher trace");
        }
        double sum = 0;
        for (LayerId id : LayerId.all(config)) {
            if (!out.containsKey(id)) throw BadInputException.in(file, "field 'layers' has no Fisher trace for " + id + " (is it from another model?)");
            sum += out.get(id);
        }
        if (!Double.isFinite(sum)) {
            throw BadInputException.in(file, "the Fisher traces sum to " + sum + " (overflow): values this large are not squared gradients of a model");
        }
        if (sum == 0) throw BadInputException.in(file, "every Fisher trace is 0: the file carries no sensitivity information (a failed or empty run?)");
        return out;
    }

    private static void checkField(Path file, JsonNode model, String f, int want) {
        JsonNode n = model.path(f);
        if (n.canConvertToInt() && n.asInt() != want) {
            throw BadInputException.in(file, "Fisher file is for another model: model." + f + " is " + n.asInt() + ", this model has " + want);
        }
    }

    private static void put(Path file, Map<LayerId, Double> out, String name, JsonNode v, String where, LlamaConfig config) {
        LayerId id;
        try {
            id = LayerId.parse(name);
        } catch (IllegalArgumentException e) {
            return; // per-block sums and other entries are not layers
        }
        if (id.block() >= config.nLayers()) {
            throw BadInputException.in(file, where + ": layer " + id + " does not exist in this model (" + config.nLayers() + " blocks): Fisher file from another model?");
        }
        JsonNode numel = v.path("numel");
        if (!numel.isMissingNode()) {
            long want = FisherReport.numel(dev.mixprune.prune.SparsityPlan.ModelShape.of(config), id.kind());
            if (!numel.isIntegralNumber() || numel.asLong() != want) {
                throw BadInputException.in(file, where + ".numel is " + numel + " but " + id + " of this model has " + want + " weights: Fisher file from another model?");
            }
        }
        JsonNode num = v;
        if (v.isObject()) {
            num = null;
            for (String f : VALUE_FIELDS) if (v.path(f).isNumber()) { num = v.get(f); break; }
        }
        if (num == null || !num.isNumber()) throw BadInputException.in(file, where + ": expected a number (the layer's Fisher trace)");
        double d = num.asDouble();
        if (!(d >= 0) || Double.isInfinite(d)) throw BadInputException.in(file, where + ": Fisher trace must be finite and >= 0, got " + d);
        out.put(id, d);
    }
}
