package dev.mixprune.io;

import dev.mixprune.BadInputException;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * LLaMA in GGUF (llama.cpp naming): token_embd, blk.N.{attn_norm, attn_q, attn_k, attn_v,
 * attn_output, ffn_norm, ffn_gate (w1), ffn_down (w2), ffn_up (w3)}, output_norm, output.
 *
 * <p>GGUF lists dims fastest-first, so a weight [out][in] has dims [in, out] and its bytes are
 * already row-major [out][in]. llama.cpp's converter stores q/k in Meta's interleaved-pair RoPE
 * layout (it undoes HF's permutation), the same as llama2.c, so no permutation happens here.
 *
 * <p>The classifier is shared when {@code output.weight} is absent, or when it is byte-identical to
 * {@code token_embd.weight} (llama2.c's converter writes the shared matrix twice, as in
 * stories260K.gguf). {@code seq_len} is {@code llama.context_length} as the file says it (2048
 * for stories260K.gguf, trained at 512: evaluation code picks its own window).
 */
public final class GgufLlama {
    private GgufLlama() {}

    public static String tensorName(LayerKind k) {
        return switch (k) {
            case WQ -> "attn_q";
            case WK -> "attn_k";
            case WV -> "attn_v";
            case WO -> "attn_output";
            case W1 -> "ffn_gate";
            case W2 -> "ffn_down";
            case W3 -> "ffn_up";
        };
    }

    public static LlamaConfig config(GgufFile f) {
        Path p = f.path();
        GgufValue arch = f.requireMeta("general.architecture");
        if (arch.type() != GgufValueType.STRING || !arch.asString().equals("llama")) {
            throw BadInputException.in(p, "metadata general.architecture: expected \"llama\", found " + arch.display());
        }
        GgufFile.TensorInfo emb = f.requireTensor("token_embd.weight");
        int dim = intMeta(f, "llama.embedding_length", -1);
        if (emb.dims().length != 2 || emb.dims()[0] != dim) {
            throw BadInputException.in(p, "tensor 'token_embd.weight' has shape " + emb.shapeString() + ", expected [" + dim + ", vocab] (embedding_length " + dim + ")");
        }
        if (emb.dims()[1] > Integer.MAX_VALUE) throw BadInputException.in(p, "tensor 'token_embd.weight': vocabulary " + emb.dims()[1] + " is too large");
        int vocab = (int) emb.dims()[1];
        int heads = intMeta(f, "llama.attention.head_count", -1);
        int kvHeads = intMeta(f, "llama.attention.head_count_kv", heads);
        float eps = floatMeta(f, "llama.attention.layer_norm_rms_epsilon", LlamaConfig.DEFAULT_EPS);
        float theta = floatMeta(f, "llama.rope.freq_base", LlamaConfig.DEFAULT_ROPE_THETA);
        LlamaConfig c;
        try {
            c = new LlamaConfig(dim, intMeta(f, "llama.feed_forward_length", -1), intMeta(f, "llama.block_count", -1), heads, kvHeads, vocab,
                    intMeta(f, "llama.context_length", -1), eps, theta, classifierShared(f));
        } catch (IllegalArgumentException e) {
            throw BadInputException.in(p, "llama.* metadata: " + e.getMessage());
        }
        GgufValue rot = f.metadata().get("llama.rope.dimension_count");
        if (rot != null && rot.type().isInteger() && rot.asLong() != c.headSize()) {
            throw BadInputException.in(p, "metadata llama.rope.dimension_count is " + rot.asLong() + ", but only full rotary embeddings (head size " + c.headSize() + ") are supported");
        }
        return c;
    }

    private static boolean classifierShared(GgufFile f) {
        GgufFile.TensorInfo out = f.tensor("output.weight");
        if (out == null) return true;
        GgufFile.TensorInfo emb = f.requireTensor("token_embd.weight");
        return out.type() == emb.type() && Arrays.equals(out.dims(), emb.dims()) && f.data(out).mismatch(f.data(emb)) == -1;
    }

    private static int intMeta(GgufFile f, String key, int dflt) {
        GgufValue v = f.metadata().get(key);
        if (v == null) {
            if (dflt >= 0) return dflt;
            throw BadInputException.in(f.path(), "missing metadata key '" + key + "'");
        }
        if (!v.type().isInteger()) throw BadInputException.in(f.path(), "metadata " + key + ": expected an integer, found " + v.type());
        long x = v.asLong();
        if (x <= 0 || x > Integer.MAX_VALUE) throw BadInputException.in(f.path(), "metadata " + key + ": expected a positive 32-bit value, found " + v.display());
        return (int) x;
    }

    private static float floatMeta(GgufFile f, String key, float dflt) {
        GgufValue v = f.metadata().get(key);
        if (v == null) return dflt;
        if (v.type() != GgufValueType.FLOAT32 && v.type() != GgufValueType.FLOAT64) {
            throw BadInputException.in(f.path(), "metadata " + key + ": expected a float, found " + v.type());
        }
        return (float) v.asDouble();
    }

    public static LlamaWeights weights(GgufFile f) {
        LlamaConfig c = config(f);
        Matrix emb = matrix(f, "token_embd.weight", c.vocabSize(), c.dim());
        List<BlockWeights> blocks = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            EnumMap<LayerKind, Matrix> lin = new EnumMap<>(LayerKind.class);
            for (LayerKind k : LayerKind.values()) lin.put(k, matrix(f, "blk." + l + "." + tensorName(k) + ".weight", c.rowsOf(k), c.colsOf(k)));
            blocks.add(new BlockWeights(vector(f, "blk." + l + ".attn_norm.weight", c.dim()), vector(f, "blk." + l + ".ffn_norm.weight", c.dim()), lin));
        }
        float[] norm = vector(f, "output_norm.weight", c.dim());
        Matrix cls = c.sharedClassifier() ? emb : matrix(f, "output.weight", c.vocabSize(), c.dim());
        return new LlamaWeights(c, emb, blocks, norm, cls);
    }

    private static Matrix matrix(GgufFile f, String name, int rows, int cols) {
        GgufFile.TensorInfo t = f.requireTensor(name);
        if (t.dims().length != 2 || t.dims()[0] != cols || t.dims()[1] != rows) {
            throw BadInputException.in(f.path(), "tensor '" + name + "' has shape " + t.shapeString() + ", expected [" + cols + ", " + rows
                    + "] (GGUF dims are fastest-first: [in_features, out_features])");
        }
        return new Matrix(rows, cols, f.readFloats(t));
    }

    private static float[] vector(GgufFile f, String name, int n) {
        GgufFile.TensorInfo t = f.requireTensor(name);
        if (t.dims().length != 1 || t.dims()[0] != n) throw BadInputException.in(f.path(), "tensor '" + name + "' has shape " + t.shapeString() + ", expected [" + n + "]");
        return f.readFloats(t);
    }

    /**
     * GGUF metadata for a model: {@code passthrough} first (its order and every key kept), then
     * the keys derived from the config, dtype and vocabulary written over it so they agree with
     * the tensors. Keys llama.cpp needs to load a LLaMA are always present.
     */
    public static Map<String, GgufValue> metadataFor(LlamaConfig c, Tokenizer tokenizer, Map<String, GgufValue> passthrough, TensorDType dtype) {
        Map<String, GgufValue> m = new LinkedHashMap<>(passthrough == null ? Map.of() : passthrough);
        m.put("general.architecture", GgufValue.ofString("llama"));
        m.putIfAbsent("general.name", GgufValue.ofString("mixprune"));
        m.put("general.alignment", GgufValue.ofUint32(m.containsKey("general.alignment") ? m.get("general.alignment").asLong() : GgufFile.DEFAULT_ALIGNMENT));
        // llama_ftype: 0 = ALL_F32, 1 = MOSTLY_F16.
        m.put("general.file_type", GgufValue.ofUint32(dtype == TensorDType.F32 ? 0 : 1));
        m.put("llama.context_length", GgufValue.ofUint32(c.seqLen()));
        m.put("llama.embedding_length", GgufValue.ofUint32(c.dim()));
        m.put("llama.feed_forward_length", GgufValue.ofUint32(c.hiddenDim()));
        m.put("llama.block_count", GgufValue.ofUint32(c.nLayers()));
        m.put("llama.attention.head_count", GgufValue.ofUint32(c.nHeads()));
        m.put("llama.attention.head_count_kv", GgufValue.ofUint32(c.nKvHeads()));
        m.put("llama.rope.dimension_count", GgufValue.ofUint32(c.headSize()));
        m.put("llama.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(c.normEps()));
        m.put("llama.rope.freq_base", GgufValue.ofFloat32(c.ropeTheta()));
        if (tokenizer != null) GgufVocabulary.put(m, tokenizer, c.vocabSize());
        return m;
    }

    /** Tensors in llama.cpp's usual order; norms always F32 (llama.cpp requires it), weights in {@code dtype}. */
    public static List<GgufWriter.Tensor> tensorsFor(LlamaWeights w, TensorDType dtype) {
        LlamaConfig c = w.config();
        List<GgufWriter.Tensor> t = new ArrayList<>();
        t.add(mat("token_embd.weight", w.tokenEmbedding(), dtype));
        for (int l = 0; l < c.nLayers(); l++) {
            BlockWeights b = w.block(l);
            String p = "blk." + l + ".";
            t.add(new GgufWriter.Tensor(p + "attn_norm.weight", new long[]{c.dim()}, TensorDType.F32, b.attNorm()));
            for (LayerKind k : new LayerKind[]{LayerKind.WQ, LayerKind.WK, LayerKind.WV, LayerKind.WO}) t.add(mat(p + tensorName(k) + ".weight", b.linear(k), dtype));
            t.add(new GgufWriter.Tensor(p + "ffn_norm.weight", new long[]{c.dim()}, TensorDType.F32, b.ffnNorm()));
            for (LayerKind k : new LayerKind[]{LayerKind.W1, LayerKind.W2, LayerKind.W3}) t.add(mat(p + tensorName(k) + ".weight", b.linear(k), dtype));
        }
        t.add(new GgufWriter.Tensor("output_norm.weight", new long[]{c.dim()}, TensorDType.F32, w.finalNorm()));
        if (!c.sharedClassifier()) t.add(mat("output.weight", w.classifier(), dtype));
        return t;
    }

    private static GgufWriter.Tensor mat(String name, Matrix m, TensorDType dtype) {
        return new GgufWriter.Tensor(name, new long[]{m.cols(), m.rows()}, dtype, m.data());
    }

    public static LlamaWeights read(Path path) throws IOException {
        try (GgufFile f = GgufFile.open(path)) {
            return weights(f);
        }
    }

    /** Writes a LLaMA GGUF (see {@link #metadataFor} for how metadata is kept). */
    public static void write(Path out, LlamaWeights w, Tokenizer tokenizer, Map<String, GgufValue> passthrough, TensorDType dtype) throws IOException {
        GgufWriter.write(out, metadataFor(w.config(), tokenizer, passthrough, dtype), tensorsFor(w, dtype));
    }
}
