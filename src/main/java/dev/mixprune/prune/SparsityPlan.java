package dev.mixprune.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.io.AtomicFiles;
import dev.mixprune.json.JsonChecks;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * A pattern for every prunable layer of one model shape: the seam between allocators and pruners.
 * JSON schema (docs/formats.md):
 * <pre>
 * { "format": "mixprune.sparsity-plan", "version": 1, "allocation": "msp",
 *   "model": { "dim": 64, "hidden_dim": 172, "n_layers": 5, "n_heads": 8, "n_kv_heads": 4, "vocab_size": 512 },
 *   "layers": { "blk.0.wq": "2:8", "blk.0.w2": "unstructured:0.7", ... } }
 * </pre>
 */
public record SparsityPlan(String allocation, ModelShape shape, Map<LayerId, Pattern> layers) {

    public static final String FORMAT = "mixprune.sparsity-plan";
    public static final int VERSION = 1;

    /** The shape a plan is valid for; {@code headDim} is dim / nHeads unless the model says otherwise (JSON "head_dim", written only then). */
    public record ModelShape(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize, int headDim) {
        private static final String[] JSON_FIELDS = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size"};

        /** A shape with the usual head size dim / nHeads. */
        public ModelShape(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize) {
            this(dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, nHeads > 0 ? dim / nHeads : 0);
        }

        public static ModelShape of(LlamaConfig c) {
            return new ModelShape(c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.vocabSize(), c.headSize());
        }

        /** Rows (out features) of a prunable layer of this shape. */
        public int rows(LayerKind k) {
            return switch (k) {
                case WQ -> nHeads * headDim;
                case WK, WV -> nKvHeads * headDim;
                case WO, W2 -> dim;
                case W1, W3 -> hiddenDim;
            };
        }

        /** Columns (in features) of a prunable layer of this shape. */
        public int cols(LayerKind k) {
            return switch (k) {
                case WQ, WK, WV, W1, W3 -> dim;
                case WO -> nHeads * headDim;
                case W2 -> hiddenDim;
            };
        }

        /**
         * The {@code "model"} object of a plan or a Fisher report. Every field must be a positive
         * integer: no model has a zero dimension, so such a file could never fit one.
         */
        public static ModelShape fromJson(JsonNode m, String source) {
            for (String f : JSON_FIELDS) {
                if (!m.path(f).canConvertToInt() || m.path(f).asInt() <= 0) throw new BadInputException(source + ": field 'model." + f + "' missing or not a positive integer");
            }
            if (m.has("head_dim") && (!m.path("head_dim").canConvertToInt() || m.path("head_dim").asInt() <= 0)) {
                throw new BadInputException(source + ": field 'model.head_dim' not a positive integer");
            }
            int dim = m.get("dim").asInt(), heads = m.get("n_heads").asInt();
            int headDim = m.has("head_dim") ? m.get("head_dim").asInt() : dim / heads;
            return new ModelShape(dim, m.get("hidden_dim").asInt(), m.get("n_layers").asInt(), heads, m.get("n_kv_heads").asInt(), m.get("vocab_size").asInt(), headDim);
        }

        /** Writes this shape as the {@code "model"} object of {@code root}. */
        public void putJson(ObjectNode root) {
            ObjectNode m = root.putObject("model").put("dim", dim).put("hidden_dim", hiddenDim).put("n_layers", nLayers)
                    .put("n_heads", nHeads).put("n_kv_heads", nKvHeads).put("vocab_size", vocabSize);
            if (headDim * nHeads != dim) m.put("head_dim", headDim);
        }
    }

    public SparsityPlan {
        layers = Collections.unmodifiableMap(new TreeMap<>(layers));
    }

    /** Same pattern everywhere. */
    public static SparsityPlan uniform(LlamaConfig c, Pattern p) {
        Map<LayerId, Pattern> m = new TreeMap<>();
        for (LayerId id : LayerId.all(c)) m.put(id, p);
        return new SparsityPlan("uniform", ModelShape.of(c), m);
    }

    public Pattern patternOf(LayerId id) {
        Pattern p = layers.get(id);
        if (p == null) throw new IllegalArgumentException("plan has no pattern for layer " + id);
        return p;
    }

    /** Throws a clear error when this plan does not fit the model: other shape, missing or unknown layers. */
    public void checkFits(LlamaConfig c, String source) {
        ModelShape want = ModelShape.of(c);
        if (!shape.equals(want)) throw new BadInputException(source + ": plan is for model " + shape + ", but the model is " + want);
        for (LayerId id : layers.keySet()) {
            if (id.block() >= c.nLayers()) throw new BadInputException(source + ": plan names unknown layer " + id + " (model has " + c.nLayers() + " blocks)");
        }
        for (LayerId id : LayerId.all(c)) {
            if (!layers.containsKey(id)) throw new BadInputException(source + ": plan has no pattern for layer " + id);
            if (layers.get(id) instanceof Pattern.NM nm && nm.m() > c.colsOf(id.kind())) {
                throw new BadInputException(source + ": layer " + id + ": pattern " + nm.text() + " needs rows of at least M = " + nm.m()
                        + " inputs (groups of M consecutive weights), the layer has " + c.colsOf(id.kind()));
            }
        }
    }

    /**
     * The widest M a uniform N:M pattern can have on this model: the narrowest row of the prunable
     * layers. Rows that are not a multiple of M end in a shorter group (protocols.md S), which is
     * fine; a row shorter than M has no group of M at all, which is refused.
     */
    public static int maxGroupSize(LlamaConfig c) {
        int min = Integer.MAX_VALUE;
        for (LayerKind k : LayerKind.values()) min = Math.min(min, c.colsOf(k));
        return min;
    }

    /** Parameter-weighted nominal sparsity over the prunable set (exact counts of the patterns). */
    public double expectedSparsity(LlamaConfig c) {
        long pruned = 0, total = 0;
        for (Map.Entry<LayerId, Pattern> e : layers.entrySet()) {
            LayerKind k = e.getKey().kind();
            pruned += e.getValue().prunedCount(c.rowsOf(k), c.colsOf(k));
            total += c.weightsOf(k);
        }
        return (double) pruned / total;
    }

    public SparsityPlan withAllocation(String name) { return new SparsityPlan(name, shape, layers); }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("allocation", allocation);
        shape.putJson(root);
        ObjectNode l = root.putObject("layers");
        layers.forEach((id, p) -> l.put(id.name(), p.text()));
        return root;
    }

    public void save(Path file) throws IOException {
        AtomicFiles.write(file, JSON.writeValueAsBytes(toJson()));
    }

    public static SparsityPlan load(Path file) throws IOException {
        return fromJson(JsonChecks.readTree(file, "not valid JSON"), file.toString());
    }

    public static SparsityPlan fromJson(JsonNode root, String source) {
        JsonChecks.requireHeader(root, source, FORMAT, VERSION);
        ModelShape shape = ModelShape.fromJson(root.path("model"), source);
        JsonNode l = root.path("layers");
        if (!l.isObject()) throw new BadInputException(source + ": field 'layers' must be an object of layer name -> pattern");
        Map<LayerId, Pattern> layers = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = l.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                LayerId id = LayerId.parse(e.getKey());
                if (id.block() >= shape.nLayers()) throw new IllegalArgumentException("unknown layer " + id + " (plan's model has " + shape.nLayers() + " blocks)");
                if (!e.getValue().isTextual()) {
                    throw new IllegalArgumentException("expected a string \"N:M\" or \"unstructured:R\", got " + e.getValue());
                }
                if (layers.containsKey(id)) throw new IllegalArgumentException("layer given twice");
                layers.put(id, Pattern.parse(e.getValue().asText()));
            } catch (IllegalArgumentException ex) {
                throw new BadInputException(source + ": layers." + e.getKey() + ": " + ex.getMessage());
            }
        }
        return new SparsityPlan(root.path("allocation").asText("unknown"), shape, layers);
    }
}
