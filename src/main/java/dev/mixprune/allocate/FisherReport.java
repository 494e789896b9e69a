package dev.mixprune.allocate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.io.AtomicFiles;
import dev.mixprune.json.JsonChecks;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.SparsityPlan.ModelShape;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-layer empirical Fisher traces of one model on one set of windows (protocols.md F):
 * {@code F_l = (1/N) sum_n sum_{theta in W_l} (dL_n/dtheta)^2}. Per-block sums and per-parameter
 * densities {@code F_l / numel_l} are derived. JSON schema (docs/fisher.md):
 * <pre>
 * { "format": "mixprune.fisher", "version": 1,
 *   "model": { "dim": 64, "hidden_dim": 172, "n_layers": 5, "n_heads": 8, "n_kv_heads": 4, "vocab_size": 512 },
 *   "windows": 32, "seqlen": 512, "mean_loss": 1.52, "data_sha256": "...", "source": "...",
 *   "layers": { "blk.0.wq": { "trace": 1.2e-3, "stderr": 1e-4, "numel": 4096, "density": 2.9e-7 }, ... },
 *   "blocks": [ 5.1e-3, ... ] }
 * </pre>
 * Only {@code model}, {@code windows}, {@code seqlen}, {@code layers.*.trace} are required on load;
 * {@code stderr} is optional; derived fields are recomputed (a {@code numel} that disagrees with the
 * shape is rejected).
 *
 * @param shape      the model shape the traces belong to
 * @param windows    number of windows N
 * @param seqLen     tokens per window
 * @param meanLoss   mean over windows of the window loss (nats), a sanity value
 * @param dataSha256 SHA-256 of the windows' token ids as little-endian int32, in window order
 * @param source     free-text provenance (calibration file, seed), may be empty
 * @param traces     F_l for every prunable layer
 * @param stdErrors  standard error of each F_l as a mean over windows (sample std of the per-window
 *                   sums / sqrt(N)); NaN when N = 1 or when a loaded file has none
 */
public record FisherReport(ModelShape shape, int windows, int seqLen, double meanLoss, String dataSha256, String source,
                           Map<LayerId, Double> traces, Map<LayerId, Double> stdErrors) {

    public static final String FORMAT = "mixprune.fisher";
    public static final int VERSION = 1;

    public FisherReport {
        traces = Collections.unmodifiableMap(new TreeMap<>(traces));
        Map<LayerId, Double> se = new TreeMap<>();
        for (LayerId id : traces.keySet()) se.put(id, stdErrors == null ? Double.NaN : stdErrors.getOrDefault(id, Double.NaN));
        stdErrors = Collections.unmodifiableMap(se);
        source = source == null ? "" : source;
        dataSha256 = dataSha256 == null ? "" : dataSha256;
    }

    /** A report without standard errors (as the first version of this record had). */
    public FisherReport(ModelShape shape, int windows, int seqLen, double meanLoss, String dataSha256, String source,
                        Map<LayerId, Double> traces) {
        this(shape, windows, seqLen, meanLoss, dataSha256, source, traces, Map.of());
    }

    /**
     * The report of per-window squared-gradient sums: {@code perWindow[n][block * 7 + kind.ordinal()]}
     * = sum over the layer's weights of (dL_n/dθ)², and {@code losses[n]} = L_n. Windows are summed
     * in index order, so the result depends only on the per-window values.
     */
    public static FisherReport fromWindows(ModelShape shape, int nLayers, double[][] perWindow, double[] losses, int seqLen,
                                           String dataSha256, String source) {
        int nKinds = LayerKind.values().length, N = perWindow.length;
        Map<LayerId, Double> traces = new TreeMap<>();
        Map<LayerId, Double> stdErrors = new TreeMap<>();
        for (int l = 0; l < nLayers; l++) {
            for (LayerKind k : LayerKind.values()) {
                int j = l * nKinds + k.ordinal();
                double s = 0;
                for (double[] sq : perWindow) s += sq[j];
                double mean = s / N;
                double var = 0;
                for (double[] sq : perWindow) var += (sq[j] - mean) * (sq[j] - mean);
                LayerId id = new LayerId(l, k);
                traces.put(id, mean);
                // how far the trace could move with other windows: the window-to-window spread
                stdErrors.put(id, N > 1 ? Math.sqrt(var / (N - 1) / N) : Double.NaN);
            }
        }
        double lossSum = 0;
        for (double v : losses) lossSum += v;
        return new FisherReport(shape, N, seqLen, lossSum / N, dataSha256, source, traces, stdErrors);
    }

    public double trace(LayerId id) {
        Double v = traces.get(id);
        if (v == null) throw new IllegalArgumentException("no Fisher trace for layer " + id);
        return v;
    }

    /** Weights of one prunable layer under this report's shape. */
    public long numel(LayerId id) { return numel(shape, id.kind()); }

    static long numel(ModelShape s, LayerKind k) {
        return (long) s.rows(k) * s.cols(k);
    }

    /** Standard error of F_l over windows (NaN when unknown). */
    public double stdError(LayerId id) { return stdErrors.getOrDefault(id, Double.NaN); }

    /** F_l / numel_l: the mean squared gradient per weight of the layer. */
    public double density(LayerId id) { return trace(id) / numel(id); }

    /** Sum of the 7 layer traces of every block, indexed by block. */
    public double[] blockSums() {
        double[] s = new double[shape.nLayers()];
        traces.forEach((id, v) -> s[id.block()] += v);
        return s;
    }

    /** Throws a BadInputException naming {@code source} when these traces belong to another model shape. */
    public void checkFits(LlamaConfig c, String where) {
        ModelShape want = ModelShape.of(c);
        if (!shape.equals(want)) {
            throw new BadInputException(where + ": Fisher traces are for model " + shape + ", but the model is " + want
                    + " (recompute them with `mixprune sensitivity` on this model)");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        shape.putJson(root);
        root.put("windows", windows);
        root.put("seqlen", seqLen);
        root.put("mean_loss", meanLoss);
        root.put("data_sha256", dataSha256);
        root.put("source", source);
        ObjectNode l = root.putObject("layers");
        traces.forEach((id, v) -> {
            ObjectNode e = l.putObject(id.name());
            e.put("trace", v);
            if (Double.isFinite(stdError(id))) e.put("stderr", stdError(id));
            e.put("numel", numel(id));
            e.put("density", density(id));
        });
        ArrayNode b = root.putArray("blocks");
        for (double v : blockSums()) b.add(v);
        return root;
    }

    public String toJsonString() {
        try {
            return JSON.writeValueAsString(toJson());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public void save(Path file) throws IOException {
        AtomicFiles.write(file, JSON.writeValueAsBytes(toJson()));
    }

    /** Reads a report; the shape is checked against {@code model} when it is not null. */
    public static FisherReport load(Path file, LlamaConfig model) throws IOException {
        FisherReport r = load(file);
        if (model != null) r.checkFits(model, file.toString());
        return r;
    }

    public static FisherReport load(Path file) throws IOException {
        return fromJson(JsonChecks.readTree(file, "not valid JSON"), file.toString());
    }

    public static FisherReport fromJson(JsonNode root, String src) {
        JsonChecks.requireHeader(root, src, FORMAT, VERSION);
        ModelShape shape = ModelShape.fromJson(root.path("model"), src);
        if (shape.headDim() * shape.nHeads() != shape.dim() && !root.path("model").has("head_dim")) {
            throw new BadInputException(src + ": model.dim " + shape.dim() + " is not a multiple of model.n_heads " + shape.nHeads());
        }
        int windows = positiveInt(root, "windows", src);
        int seqLen = positiveInt(root, "seqlen", src);
        JsonNode l = root.path("layers");
        if (!l.isObject()) throw new BadInputException(src + ": field 'layers' must be an object of layer name -> {trace}");
        Map<LayerId, Double> traces = new TreeMap<>();
        Map<LayerId, Double> stdErrors = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = l.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            LayerId id;
            try {
                id = LayerId.parse(e.getKey());
            } catch (IllegalArgumentException ex) {
                throw new BadInputException(src + ": layers." + e.getKey() + ": " + ex.getMessage());
            }
            if (id.block() >= shape.nLayers()) throw new BadInputException(src + ": layers." + e.getKey() + ": the model has " + shape.nLayers() + " blocks");
            JsonNode t = e.getValue().path("trace");
            if (!t.isNumber() || !Double.isFinite(t.asDouble()) || t.asDouble() < 0) {
                throw new BadInputException(src + ": layers." + e.getKey() + ".trace must be a finite number >= 0, got " + t);
            }
            JsonNode n = e.getValue().path("numel");
            if (!n.isMissingNode() && n.asLong() != numel(shape, id.kind())) {
                throw new BadInputException(src + ": layers." + e.getKey() + ".numel is " + n + " but the model shape gives " + numel(shape, id.kind()));
            }
            traces.put(id, t.asDouble());
            JsonNode se = e.getValue().path("stderr");
            if (!se.isMissingNode()) {
                if (!se.isNumber() || !(se.asDouble() >= 0)) throw new BadInputException(src + ": layers." + e.getKey() + ".stderr must be a number >= 0, got " + se);
                stdErrors.put(id, se.asDouble());
            }
        }
        for (int b = 0; b < shape.nLayers(); b++) {
            for (LayerKind k : LayerKind.values()) {
                LayerId id = new LayerId(b, k);
                if (!traces.containsKey(id)) throw new BadInputException(src + ": layers." + id.name() + " is missing");
            }
        }
        double sum = 0;
        for (double t : traces.values()) sum += t;
        if (!Double.isFinite(sum)) throw new BadInputException(src + ": the Fisher traces sum to " + sum + " (overflow): values this large are not squared gradients of a model");
        if (sum == 0) throw new BadInputException(src + ": every Fisher trace is 0: the file carries no sensitivity information (a failed or empty run?)");
        return new FisherReport(shape, windows, seqLen, root.path("mean_loss").asDouble(Double.NaN),
                root.path("data_sha256").asText(""), root.path("source").asText(""), traces, stdErrors);
    }

    private static int positiveInt(JsonNode root, String field, String src) {
        JsonNode n = root.path(field);
        if (!n.canConvertToInt() || n.asInt() <= 0) throw new BadInputException(src + ": field '" + field + "' missing or not a positive integer, got " + n);
        return n.asInt();
    }
}
