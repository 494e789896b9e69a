package dev.mixprune.io;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.family.ModelFamilies;
import dev.mixprune.model.family.ModelFamily;
import dev.mixprune.model.family.RopeLayout;
import dev.mixprune.model.family.TensorId;
import dev.mixprune.tensor.Matrix;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * THE HF directory writer (whole models go through it too, see {@link ModelWriter}):
 * model.safetensors (header with every shape and offset first, then the embedding in row chunks,
 * each block as it arrives, the final norm and classifier), then config.json and tokenizer.model
 * once the weights are in place. Tensor names and config keys are the family's; q/k rows (and
 * biases) are written in HF's rotate_half order. Per layer: input_layernorm,
 * post_attention_layernorm, then q, k, v, o, gate, down, up, each weight followed by its bias if any.
 */
final class SafetensorsBlockSink implements BlockSink {
    private final BlockSource source;
    private final LlamaConfig c;
    private final ModelFamily family;
    private final TensorDType dtype;
    private final Path dir;
    private final List<Path> createdDirs;
    private final PendingFile pending;
    private final OutputStream os;
    private final LeOutput o;
    private final List<SafetensorsWriter.Spec> specs;
    private final long[] offsets;
    private final long dataStart;
    private int next;
    private int nextBlock;

    SafetensorsBlockSink(BlockSource source, Path out, TensorDType dtype) throws IOException {
        this.source = source;
        this.c = source.config();
        this.family = ModelFamilies.of(c);
        this.dtype = dtype;
        this.dir = out;
        specs = layout();
        offsets = new long[specs.size()];
        for (int i = 1; i < specs.size(); i++) offsets[i] = offsets[i - 1] + specs.get(i - 1).bytes();
        byte[] header = SafetensorsWriter.header(specs, HfModel.WEIGHTS_METADATA);
        createdDirs = PendingFile.createDirectories(out.toAbsolutePath());
        PendingFile p = null;
        OutputStream s = null;
        try {
            p = PendingFile.create(out.resolve(HfModel.WEIGHTS));
            s = new BufferedOutputStream(Files.newOutputStream(p.tmp()), 1 << 20);
            o = new LeOutput(s);
            o.i64(header.length);
            o.bytes(header);
            dataStart = o.position();
            for (int first = 0, step = BlockSink.chunkRows(c.dim()); first < c.vocabSize(); first += step) {
                if (first == 0) begin(family.hfName(TensorId.EMBEDDING));
                write(source.embeddingRows(first, Math.min(step, c.vocabSize() - first)));
            }
            next++;
        } catch (IOException | RuntimeException e) {
            if (s != null) s.close();
            if (p != null) p.close();
            PendingFile.deleteEmpty(createdDirs);
            throw e;
        }
        pending = p;
        os = s;
    }

    private List<SafetensorsWriter.Spec> layout() {
        List<SafetensorsWriter.Spec> t = new ArrayList<>();
        t.add(new SafetensorsWriter.Spec(family.hfName(TensorId.EMBEDDING), new long[]{c.vocabSize(), c.dim()}, dtype));
        for (int l = 0; l < c.nLayers(); l++) {
            t.add(new SafetensorsWriter.Spec(family.hfName(TensorId.attnNorm(l)), new long[]{c.dim()}, dtype));
            t.add(new SafetensorsWriter.Spec(family.hfName(TensorId.ffnNorm(l)), new long[]{c.dim()}, dtype));
            for (LayerKind k : LayerKind.values()) {
                t.add(new SafetensorsWriter.Spec(family.hfName(TensorId.weight(l, k)), new long[]{c.rowsOf(k), c.colsOf(k)}, dtype));
                if (c.hasBias(k)) t.add(new SafetensorsWriter.Spec(family.hfName(TensorId.bias(l, k)), new long[]{c.rowsOf(k)}, dtype));
            }
        }
        t.add(new SafetensorsWriter.Spec(family.hfName(TensorId.FINAL_NORM), new long[]{c.dim()}, dtype));
        if (!c.sharedClassifier()) t.add(new SafetensorsWriter.Spec(family.hfName(TensorId.CLASSIFIER), new long[]{c.vocabSize(), c.dim()}, dtype));
        return t;
    }

    private void begin(String name) {
        SafetensorsWriter.Spec s = specs.get(next);
        if (!s.name().equals(name)) throw new IllegalStateException("safetensors sink: expected tensor " + s.name() + ", got " + name);
        if (o.position() != dataStart + offsets[next]) throw new IllegalStateException("safetensors sink lost its position at tensor " + name);
    }

    private void write(float[] data) throws IOException {
        if (dtype == TensorDType.F32) o.floats(data); else o.halfs(data);
    }

    private void tensor(String name, float[] data) throws IOException {
        begin(name);
        write(data);
        next++;
    }

    @Override public void accept(int b, BlockWeights w) throws IOException {
        if (b != nextBlock) throw new IllegalStateException("safetensors sink: block " + b + " arrived, expected " + nextBlock);
        tensor(family.hfName(TensorId.attnNorm(b)), w.attNorm());
        tensor(family.hfName(TensorId.ffnNorm(b)), w.ffnNorm());
        for (LayerKind k : LayerKind.values()) {
            Matrix m = w.linear(k);
            tensor(family.hfName(TensorId.weight(b, k)), qkRows(k, m.data(), m.cols()));
            if (c.hasBias(k)) tensor(family.hfName(TensorId.bias(b, k)), qkRows(k, w.bias(k), 1));
        }
        nextBlock++;
    }

    /** q/k rows (weights: {@code cols} per row; biases: 1) in the family's HF order. */
    private float[] qkRows(LayerKind k, float[] data, int cols) {
        if (family.hfRopeLayout() != RopeLayout.HALVES || (k != LayerKind.WQ && k != LayerKind.WK)) return data;
        return RopePermutation.toHalves(data, data.length / cols, cols, k == LayerKind.WQ ? c.nHeads() : c.nKvHeads());
    }

    @Override public void finish() throws IOException {
        if (nextBlock != c.nLayers()) throw new IllegalStateException("safetensors sink: finish after " + nextBlock + " of " + c.nLayers() + " blocks");
        tensor(family.hfName(TensorId.FINAL_NORM), source.finalNorm());
        if (!c.sharedClassifier()) {
            for (int first = 0, step = BlockSink.chunkRows(c.dim()); first < c.vocabSize(); first += step) {
                if (first == 0) begin(family.hfName(TensorId.CLASSIFIER));
                write(source.classifierRows(first, Math.min(step, c.vocabSize() - first)));
            }
            next++;
        }
        o.flush();
        os.close();
        pending.commit();
        Map<String, Object> hf = new LinkedHashMap<>();
        source.metadata().forEach((k, v) -> {
            if (!(v instanceof GgufValue)) hf.put(k, v);
        });
        HfModel.writeConfigAndTokenizer(dir, HfModel.configJson(c, hf, dtype, source.tokenizerOrNull()), source.tokenizerOrNull(),
                source.format() == ModelFormat.SAFETENSORS ? source.path() : null);
    }

    @Override public void close() throws IOException {
        try {
            os.close();
        } finally {
            pending.close();
            PendingFile.deleteEmpty(createdDirs);
        }
    }
}
