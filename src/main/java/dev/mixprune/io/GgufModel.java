package dev.mixprune.io;

import dev.mixprune.BadInputException;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.family.GgufKey;
import dev.mixprune.model.family.ModelFamilies;
import dev.mixprune.model.family.ModelFamily;
import dev.mixprune.model.family.TensorId;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The model side of a GGUF's metadata: the family from {@code general.architecture}, the config
 * from the family's {@code <arch>.*} keys, and the keys written for a config. Tensor names come
 * from the family ({@link ModelFamily#ggufName}); the vocabulary is {@link GgufVocabulary}'s.
 *
 * <p>GGUF lists dims fastest-first, so a weight [out][in] has dims [in, out] and its bytes are
 * already row-major [out][in]. The classifier is shared when {@code output.weight} is absent, or
 * when it is byte-identical to {@code token_embd.weight} (llama2.c's converter writes the shared
 * matrix twice, as in stories260K.gguf). {@code seq_len} is the context length as the file says it
 * (2048 for stories260K.gguf, trained at 512: evaluation code picks its own window).
 */
public final class GgufModel {
    private GgufModel() {}

    /** The family of the file's {@code general.architecture}. */
    public static ModelFamily family(GgufFile f) {
        GgufValue arch = f.requireMeta("general.architecture");
        if (arch.type() != GgufValueType.STRING) throw BadInputException.in(f.path(), "metadata general.architecture: expected a string, found " + arch.display());
        return ModelFamilies.forGgufArchitecture(arch.asString()).orElseThrow(() -> BadInputException.in(f.path(),
                "metadata general.architecture: expected one of " + ModelFamilies.ggufArchitectures() + ", found " + arch.display()));
    }

    public static LlamaConfig config(GgufFile f) {
        Path p = f.path();
        ModelFamily fam = family(f);
        String embName = fam.ggufName(TensorId.EMBEDDING);
        GgufFile.TensorInfo emb = f.requireTensor(embName);
        int dim = intMeta(f, fam.ggufKey(GgufKey.EMBEDDING_LENGTH), -1);
        if (emb.dims().length != 2 || emb.dims()[0] != dim) {
            throw BadInputException.in(p, "tensor '" + embName + "' has shape " + emb.shapeString() + ", expected [" + dim + ", vocab] (embedding_length " + dim + ")");
        }
        if (emb.dims()[1] > Integer.MAX_VALUE) throw BadInputException.in(p, "tensor '" + embName + "': vocabulary " + emb.dims()[1] + " is too large");
        int vocab = (int) emb.dims()[1];
        int heads = intMeta(f, fam.ggufKey(GgufKey.HEAD_COUNT), -1);
        int kvHeads = intMeta(f, fam.ggufKey(GgufKey.HEAD_COUNT_KV), heads);
        float eps = floatMeta(f, fam.ggufKey(GgufKey.RMS_EPS), LlamaConfig.DEFAULT_EPS);
        float theta = floatMeta(f, fam.ggufKey(GgufKey.ROPE_FREQ_BASE), LlamaConfig.DEFAULT_ROPE_THETA);
        LlamaConfig c;
        try {
            c = new LlamaConfig(dim, intMeta(f, fam.ggufKey(GgufKey.FEED_FORWARD_LENGTH), -1), intMeta(f, fam.ggufKey(GgufKey.BLOCK_COUNT), -1), heads, kvHeads, vocab,
                    intMeta(f, fam.ggufKey(GgufKey.CONTEXT_LENGTH), -1), eps, theta, classifierShared(f, fam)).withFamily(fam.id());
        } catch (IllegalArgumentException e) {
            throw BadInputException.in(p, fam.ggufArchitecture() + ".* metadata: " + e.getMessage());
        }
        String rotKey = fam.ggufKey(GgufKey.ROPE_DIMENSION_COUNT);
        GgufValue rot = f.metadata().get(rotKey);
        if (rot != null && rot.type().isInteger() && rot.asLong() != c.headSize()) {
            throw BadInputException.in(p, "metadata " + rotKey + " is " + rot.asLong() + ", but only full rotary embeddings (head size " + c.headSize() + ") are supported");
        }
        return c;
    }

    private static boolean classifierShared(GgufFile f, ModelFamily fam) {
        GgufFile.TensorInfo out = f.tensor(fam.ggufName(TensorId.CLASSIFIER));
        if (out == null) return true;
        GgufFile.TensorInfo emb = f.requireTensor(fam.ggufName(TensorId.EMBEDDING));
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

    /**
     * GGUF metadata for a model: {@code passthrough} first (its order and every key kept), then
     * the keys derived from the config, dtype and vocabulary written over it so they agree with
     * the tensors. Keys llama.cpp needs to load the family's architecture are always present.
     */
    public static Map<String, GgufValue> metadataFor(LlamaConfig c, Vocabulary vocab, Map<String, GgufValue> passthrough, TensorDType dtype) {
        ModelFamily fam = ModelFamilies.of(c);
        Map<String, GgufValue> m = new LinkedHashMap<>(passthrough == null ? Map.of() : passthrough);
        m.put("general.architecture", GgufValue.ofString(fam.ggufArchitecture()));
        m.putIfAbsent("general.name", GgufValue.ofString("mixprune"));
        m.put("general.alignment", GgufValue.ofUint32(m.containsKey("general.alignment") ? m.get("general.alignment").asLong() : GgufFile.DEFAULT_ALIGNMENT));
        // llama_ftype: 0 = ALL_F32, 1 = MOSTLY_F16.
        m.put("general.file_type", GgufValue.ofUint32(dtype == TensorDType.F32 ? 0 : 1));
        m.put(fam.ggufKey(GgufKey.CONTEXT_LENGTH), GgufValue.ofUint32(c.seqLen()));
        m.put(fam.ggufKey(GgufKey.EMBEDDING_LENGTH), GgufValue.ofUint32(c.dim()));
        m.put(fam.ggufKey(GgufKey.FEED_FORWARD_LENGTH), GgufValue.ofUint32(c.hiddenDim()));
        m.put(fam.ggufKey(GgufKey.BLOCK_COUNT), GgufValue.ofUint32(c.nLayers()));
        m.put(fam.ggufKey(GgufKey.HEAD_COUNT), GgufValue.ofUint32(c.nHeads()));
        m.put(fam.ggufKey(GgufKey.HEAD_COUNT_KV), GgufValue.ofUint32(c.nKvHeads()));
        m.put(fam.ggufKey(GgufKey.ROPE_DIMENSION_COUNT), GgufValue.ofUint32(c.headSize()));
        m.put(fam.ggufKey(GgufKey.RMS_EPS), GgufValue.ofFloat32(c.normEps()));
        m.put(fam.ggufKey(GgufKey.ROPE_FREQ_BASE), GgufValue.ofFloat32(c.ropeTheta()));
        if (vocab != null) GgufVocabulary.put(m, vocab, c.vocabSize());
        return m;
    }
}
