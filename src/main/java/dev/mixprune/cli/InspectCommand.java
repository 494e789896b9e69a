package dev.mixprune.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.io.GgufFile;
import dev.mixprune.io.GgufModel;
import dev.mixprune.io.GgufVocabulary;
import dev.mixprune.io.PackReport;
import dev.mixprune.io.GgufValue;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.TensorListing;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.tensor.Matrix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Shows what a model file holds: format, config, the tensors as stored, parameter counts and the prunable set's sparsity. */
@Command(name = "inspect", description = "Show a model's format, config, tensors, parameter counts and per-layer sparsity.")
final class InspectCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model file (.bin, .gguf) or HF directory") Path model;
    @Option(names = "--tokenizer", description = "tokenizer.bin / tokenizer.model (default: found beside or inside the model)") Path tokenizer;
    @Option(names = "--json", description = "print one JSON object instead of text") boolean json;
    @Spec CommandSpec spec;

    /** One prunable layer's sparsity. */
    record LayerStats(String name, String shape, long weights, long zeros) {
        double sparsity() { return (double) zeros / weights; }
    }

    /** What was read: the model, or for a GGUF whose weights cannot be dequantized, its header only. */
    record Summary(Path path, ModelFormat format, LlamaConfig config, Optional<Tokenizer> tokenizer, Map<String, Object> metadata,
                   List<LayerStats> layers, String weightsNote, PackReport pack) {}

    @Override public Integer call() throws Exception {
        Summary s = summarize();
        List<TensorListing.Entry> tensors = TensorListing.list(model);
        long stored = tensors.stream().mapToLong(TensorListing.Entry::elements).sum();
        PrintWriter out = spec.commandLine().getOut();
        if (json) printJson(out, s, tensors, stored);
        else printText(out, s, tensors, stored);
        out.flush();
        return 0;
    }

    private Summary summarize() throws Exception {
        if (ModelFormat.detect(model) == ModelFormat.GGUF) {
            // Quantized GGUFs (Q4_K, ...) cannot be loaded, but their header is still worth showing.
            try (GgufFile f = GgufFile.open(model)) {
                List<String> odd = f.tensors().values().stream().filter(t -> !t.type().canDequantize() && !t.name().endsWith(".nm_index")).map(t -> t.name() + " " + t.type()).toList();
                if (!odd.isEmpty()) {
                    LlamaConfig c = GgufModel.config(f);
                    Optional<Tokenizer> tok = GgufVocabulary.read(f, c.vocabSize());
                    return new Summary(model, ModelFormat.GGUF, c, tok, new LinkedHashMap<>(f.metadata()), null,
                            odd.size() + " tensors have types this project cannot dequantize (first: " + odd.getFirst() + "); weights not loaded, sparsity unknown", null);
                }
            }
        }
        LoadedModel m = ModelLoader.load(model, tokenizer);
        List<LayerStats> layers = LayerId.all(m.weights().config()).stream().map(id -> {
            Matrix w = PackReport.dense(m.weights().weight(id)); // packed layers expand for counting
            return new LayerStats(id.name(), w.shape(), w.size(), w.countZeros());
        }).toList();
        return new Summary(m.path(), m.format(), m.weights().config(), m.tokenizer(), m.metadata(), layers, null,
                m.weights().isPacked() ? PackReport.of(m) : null);
    }

    private static void printText(PrintWriter out, Summary s, List<TensorListing.Entry> tensors, long stored) {
        LlamaConfig c = s.config();
        out.printf("model      %s%nformat     %s%n", s.path(), s.format());
        out.printf("config     dim %d, hidden %d, layers %d, heads %d, kv heads %d, head size %d, vocab %d, seq_len %d, norm eps %s, rope theta %s, classifier %s%n",
                c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.headSize(), c.vocabSize(), c.seqLen(), c.normEps(), c.ropeTheta(),
                c.sharedClassifier() ? "shared with embedding" : "separate");
        out.printf("family     %s; RoPE scaling %s; biases %s%n", c.family(), c.ropeScaling().describe(),
                c.biases().isEmpty() ? "none" : c.biases().stream().map(k -> k.shortName()).toList());
        out.printf("tokenizer  %s%n", s.tokenizer().map(TokenizeCommand::describe).orElse("none"));
        out.printf("params     %,d total, %,d prunable (%d linear layers); %,d values stored in the file%n", c.parameterCount(), c.prunableTotal(),
                LayerId.all(c).size(), stored);
        if (!s.metadata().isEmpty()) {
            out.printf("metadata   %d keys%n", s.metadata().size());
            for (Map.Entry<String, Object> e : s.metadata().entrySet()) out.printf("  %-44s %s%n", e.getKey(), display(e.getValue()));
        }
        out.printf("tensors    %d%n", tensors.size());
        for (TensorListing.Entry t : tensors) out.printf("  %-44s %-6s %s%n", t.name(), t.dtype(), t.shapeString());
        if (s.layers() == null) {
            out.printf("weights    %s%n", s.weightsNote());
            return;
        }
        out.printf("%-14s %-10s %10s %10s %9s%n", "layer", "shape", "weights", "zeros", "sparsity");
        for (LayerStats l : s.layers()) out.printf("%-14s %-10s %,10d %,10d %9.4f%n", l.name(), l.shape(), l.weights(), l.zeros(), l.sparsity());
        long zeros = s.layers().stream().mapToLong(LayerStats::zeros).sum();
        out.printf("overall sparsity of the prunable set: %.6f (%,d of %,d weights are zero)%n", (double) zeros / c.prunableTotal(), zeros, c.prunableTotal());
        if (s.pack() != null) {
            out.println("packed N:M storage:");
            s.pack().print(out);
        }
    }

    private static String display(Object v) { return v instanceof GgufValue g ? g.display() : String.valueOf(v); }

    private static void printJson(PrintWriter out, Summary s, List<TensorListing.Entry> tensors, long stored) throws Exception {
        LlamaConfig c = s.config();
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("model", s.path().toString());
        root.put("format", s.format().name().toLowerCase(java.util.Locale.ROOT));
        ObjectNode cfg = root.putObject("config");
        cfg.put("dim", c.dim()).put("hidden_dim", c.hiddenDim()).put("n_layers", c.nLayers()).put("n_heads", c.nHeads()).put("n_kv_heads", c.nKvHeads())
                .put("head_size", c.headSize()).put("vocab_size", c.vocabSize()).put("seq_len", c.seqLen()).put("norm_eps", c.normEps())
                .put("rope_theta", c.ropeTheta()).put("shared_classifier", c.sharedClassifier())
                .put("family", c.family()).put("rope_scaling", c.ropeScaling().describe());
        ArrayNode biases = cfg.putArray("biases");
        c.biases().forEach(k -> biases.add(k.shortName()));
        if (s.tokenizer().isPresent()) root.put("tokenizer_pieces", s.tokenizer().get().size());
        else root.putNull("tokenizer_pieces");
        ObjectNode params = root.putObject("parameters");
        params.put("total", c.parameterCount()).put("prunable", c.prunableTotal()).put("stored_values", stored);
        ObjectNode meta = root.putObject("metadata");
        s.metadata().forEach((k, v) -> meta.put(k, display(v)));
        ArrayNode ts = root.putArray("tensors");
        for (TensorListing.Entry t : tensors) {
            ObjectNode o = ts.addObject();
            o.put("name", t.name());
            o.put("dtype", t.dtype());
            ArrayNode sh = o.putArray("shape");
            for (long d : t.shape()) sh.add(d);
        }
        if (s.layers() == null) {
            root.putNull("layers");
            root.putNull("zeros");
            root.putNull("sparsity");
            root.put("weights_note", s.weightsNote());
        } else {
            ArrayNode ls = root.putArray("layers");
            for (LayerStats l : s.layers()) {
                ls.addObject().put("name", l.name()).put("shape", l.shape()).put("weights", l.weights()).put("zeros", l.zeros()).put("sparsity", l.sparsity());
            }
            long zeros = s.layers().stream().mapToLong(LayerStats::zeros).sum();
            root.put("zeros", zeros);
            root.put("sparsity", (double) zeros / c.prunableTotal());
        }
        out.println(om.writeValueAsString(root));
    }
}
