package dev.mixprune.io;

import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The tensors as a model file stores them (names, shapes and element types from the file itself,
 * not from the float32 weights the loader makes), for {@code inspect}.
 */
public final class TensorListing {
    private TensorListing() {}

    /**
     * @param shape as the format lists it: GGUF fastest-first ([in, out]); safetensors and
     *              llama2.c outermost-first ([out, in])
     */
    public record Entry(String name, long[] shape, String dtype) {
        public long elements() { return TensorShapes.elements(shape); }

        public String shapeString() { return TensorShapes.text(shape); }
    }

    public static List<Entry> list(Path model) throws IOException {
        List<Entry> out = new ArrayList<>();
        switch (ModelFormat.detect(model)) {
            case BIN -> {
                // llama2.c has no names: use its model.py attribute names, in file order.
                LlamaConfig c = Llama2cBin.readConfig(model);
                int L = c.nLayers();
                out.add(new Entry("tok_embeddings.weight", new long[]{c.vocabSize(), c.dim()}, "F32"));
                for (int l = 0; l < L; l++) out.add(new Entry("layers." + l + ".attention_norm.weight", new long[]{c.dim()}, "F32"));
                for (LayerKind k : new LayerKind[]{LayerKind.WQ, LayerKind.WK, LayerKind.WV, LayerKind.WO}) {
                    for (int l = 0; l < L; l++) out.add(new Entry("layers." + l + ".attention." + k.shortName() + ".weight", new long[]{c.rowsOf(k), c.colsOf(k)}, "F32"));
                }
                for (int l = 0; l < L; l++) out.add(new Entry("layers." + l + ".ffn_norm.weight", new long[]{c.dim()}, "F32"));
                for (LayerKind k : new LayerKind[]{LayerKind.W1, LayerKind.W2, LayerKind.W3}) {
                    for (int l = 0; l < L; l++) out.add(new Entry("layers." + l + ".feed_forward." + k.shortName() + ".weight", new long[]{c.rowsOf(k), c.colsOf(k)}, "F32"));
                }
                out.add(new Entry("norm.weight", new long[]{c.dim()}, "F32"));
                if (!c.sharedClassifier()) out.add(new Entry("output.weight", new long[]{c.vocabSize(), c.dim()}, "F32"));
            }
            case GGUF -> {
                try (GgufFile f = GgufFile.open(model)) {
                    for (GgufFile.TensorInfo t : f.tensors().values()) out.add(new Entry(t.name(), t.dims().clone(), t.type().name()));
                }
            }
            case SAFETENSORS -> {
                Path dir = Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
                for (Path p : HfModel.weightFiles(dir)) {
                    try (SafetensorsFile f = SafetensorsFile.open(p)) {
                        for (SafetensorsFile.Entry e : f.entries().values()) out.add(new Entry(e.name(), e.shape().clone(), e.dtype()));
                    }
                }
            }
        }
        return out;
    }
}
