package dev.mixprune.io;

import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
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
 * Streams an HF directory in {@link HfLlama#write}'s layout: model.safetensors (header with every
 * shape and offset first, then the embedding in row chunks, each block as it arrives, the final
 * norm and classifier), then config.json and tokenizer.model once the weights are in place.
 */
final class SafetensorsBlockSink implements BlockSink {
    private final BlockSource source;
    private final LlamaConfig c;
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
        this.dtype = dtype;
        this.dir = out;
        specs = layout();
        offsets = new long[specs.size()];
        for (int i = 1; i < specs.size(); i++) offsets[i] = offsets[i - 1] + specs.get(i - 1).bytes();
        byte[] header = SafetensorsWriter.header(specs, HfLlama.WEIGHTS_METADATA);
        createdDirs = PendingFile.createDirectories(out.toAbsolutePath());
        PendingFile p = null;
        OutputStream s = null;
        try {
            p = PendingFile.create(out.resolve(HfLlama.WEIGHTS));
            s = new BufferedOutputStream(Files.newOutputStream(p.tmp()), 1 << 20);
            o = new LeOutput(s);
            o.i64(header.length);
            o.bytes(header);
            dataStart = o.position();
            for (int first = 0, step = BlockSink.chunkRows(c.dim()); first < c.vocabSize(); first += step) {
                if (first == 0) begin("model.embed_tokens.weight");
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
        t.add(new SafetensorsWriter.Spec("model.embed_tokens.weight", new long[]{c.vocabSize(), c.dim()}, dtype));
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "model.layers." + l + ".";
            t.add(new SafetensorsWriter.Spec(p + "input_layernorm.weight", new long[]{c.dim()}, dtype));
            t.add(new SafetensorsWriter.Spec(p + "post_attention_layernorm.weight", new long[]{c.dim()}, dtype));
            for (LayerKind k : LayerKind.values()) t.add(new SafetensorsWriter.Spec(p + k.hfName() + ".weight", new long[]{c.rowsOf(k), c.colsOf(k)}, dtype));
        }
        t.add(new SafetensorsWriter.Spec("model.norm.weight", new long[]{c.dim()}, dtype));
        if (!c.sharedClassifier()) t.add(new SafetensorsWriter.Spec("lm_head.weight", new long[]{c.vocabSize(), c.dim()}, dtype));
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
        String p = "model.layers." + b + ".";
        tensor(p + "input_layernorm.weight", w.attNorm());
        tensor(p + "post_attention_layernorm.weight", w.ffnNorm());
        for (LayerKind k : LayerKind.values()) {
            Matrix m = w.linear(k);
            if (k == LayerKind.WQ) m = RopePermutation.toHf(m, c.nHeads());
            if (k == LayerKind.WK) m = RopePermutation.toHf(m, c.nKvHeads());
            tensor(p + k.hfName() + ".weight", m.data());
        }
        nextBlock++;
    }

    @Override public void finish() throws IOException {
        if (nextBlock != c.nLayers()) throw new IllegalStateException("safetensors sink: finish after " + nextBlock + " of " + c.nLayers() + " blocks");
        tensor("model.norm.weight", source.finalNorm());
        if (!c.sharedClassifier()) {
            for (int first = 0, step = BlockSink.chunkRows(c.dim()); first < c.vocabSize(); first += step) {
                if (first == 0) begin("lm_head.weight");
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
        HfLlama.writeConfigAndTokenizer(dir, HfLlama.configJson(c, hf, dtype, source.tokenizerOrNull()), source.tokenizerOrNull());
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
