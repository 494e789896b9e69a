package dev.mixprune.io;

import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.BadInputException;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.RopeScaling;
import dev.mixprune.model.family.GgufKey;
import dev.mixprune.model.family.ModelFamilies;
import dev.mixprune.model.family.ModelFamily;
import dev.mixprune.model.family.TensorId;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

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
                "metadata general.architecture: expected one of " + ModelFamilies.ggufArchitectures() + ", found " + arch.display()
                        + ModelFamilies.whyUnsupported(arch.asString()).map(why -> " (" + why + ")").orElse("")));
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
        int headDim = headDim(f, fam, dim, heads);
        LlamaConfig c;
        try {
            c = new LlamaConfig(fam.id(), dim, intMeta(f, fam.ggufKey(GgufKey.FEED_FORWARD_LENGTH), -1), intMeta(f, fam.ggufKey(GgufKey.BLOCK_COUNT), -1),
                    heads, kvHeads, headDim, vocab, intMeta(f, fam.ggufKey(GgufKey.CONTEXT_LENGTH), -1), eps, theta, ropeScaling(f, fam, headDim),
                    biases(f, fam), classifierShared(f, fam));
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

    /** {@code <arch>.attention.key_length} (= value_length) when present, else embedding_length / head_count. */
    private static int headDim(GgufFile f, ModelFamily fam, int dim, int heads) {
        String kKey = fam.ggufKey(GgufKey.KEY_LENGTH), vKey = fam.ggufKey(GgufKey.VALUE_LENGTH);
        boolean hasK = f.metadata().containsKey(kKey), hasV = f.metadata().containsKey(vKey);
        if (!hasK && !hasV) {
            if (dim % heads != 0) throw BadInputException.in(f.path(), "metadata " + fam.ggufKey(GgufKey.EMBEDDING_LENGTH) + " " + dim + " is not a multiple of "
                    + fam.ggufKey(GgufKey.HEAD_COUNT) + " " + heads + " and " + kKey + " is absent");
            return dim / heads;
        }
        int k = intMeta(f, hasK ? kKey : vKey, -1), v = intMeta(f, hasV ? vKey : kKey, -1);
        if (k != v) throw BadInputException.in(f.path(), "metadata " + kKey + " " + k + " differs from " + vKey + " " + v + " (different key and value head sizes are not supported)");
        return k;
    }

    /**
     * Plain, {@code <arch>.rope.scaling.type = linear} with its factor, or the frequency factors of
     * a {@code rope_freqs.weight} tensor (how llama.cpp's converter stores Llama 3.1's scaling).
     * yarn, longrope and other types are refused.
     */
    private static RopeScaling ropeScaling(GgufFile f, ModelFamily fam, int headDim) {
        String typeKey = fam.ggufKey(GgufKey.ROPE_SCALING_TYPE);
        GgufValue type = f.metadata().get(typeKey);
        String t = type == null ? "none" : type.type() == GgufValueType.STRING ? type.asString() : null;
        if (t == null) throw BadInputException.in(f.path(), "metadata " + typeKey + ": expected a string, found " + type.display());
        GgufFile.TensorInfo freqs = f.tensor(fam.ggufName(TensorId.ROPE_FREQS));
        RopeScaling s = switch (t) {
            case "none" -> RopeScaling.NONE;
            case "linear" -> {
                String factorKey = fam.ggufKey(GgufKey.ROPE_SCALING_FACTOR);
                float factor = floatMeta(f, factorKey, Float.NaN);
                if (!(factor >= 1f)) throw BadInputException.in(f.path(), "metadata " + factorKey + ": a linear rope scaling needs a factor >= 1, found " + factor);
                yield new RopeScaling.Linear(factor);
            }
            default -> throw BadInputException.in(f.path(), "metadata " + typeKey + ": \"" + t + "\" is not supported (supported: none, linear, and llama3 as a rope_freqs tensor)");
        };
        if (freqs == null) return s;
        if (!fam.ggufRopeFreqs()) {
            throw BadInputException.in(f.path(), "tensor '" + freqs.name() + "' is not used by llama.cpp's " + fam.ggufArchitecture() + " architecture; refusing to guess");
        }
        if (!(s instanceof RopeScaling.None)) throw BadInputException.in(f.path(), "tensor '" + freqs.name() + "' together with " + typeKey + " " + t + " is not supported");
        if (freqs.dims().length != 1 || freqs.dims()[0] != headDim / 2) {
            throw BadInputException.in(f.path(), "tensor '" + freqs.name() + "' has shape " + freqs.shapeString() + ", expected [" + headDim / 2 + "] (head size " + headDim + " / 2)");
        }
        try {
            return new RopeScaling.Factors(f.readFloats(freqs));
        } catch (IllegalArgumentException e) {
            throw BadInputException.in(f.path(), "tensor '" + freqs.name() + "': " + e.getMessage());
        }
    }

    /** The linears whose bias tensors block 0 has (llama.cpp loads them when present); every block must have the same. */
    private static Set<LayerKind> biases(GgufFile f, ModelFamily fam) {
        EnumSet<LayerKind> b = EnumSet.noneOf(LayerKind.class);
        for (LayerKind k : LayerKind.values()) if (f.tensor(fam.ggufName(TensorId.bias(0, k))) != null) b.add(k);
        return b;
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
    public static Map<String, GgufValue> metadataFor(LlamaConfig c, Tokenizer tokenizer, Map<String, GgufValue> passthrough, TensorDType dtype) {
        ModelFamily fam = ModelFamilies.of(c);
        Map<String, GgufValue> m = new LinkedHashMap<>(passthrough == null ? Map.of() : passthrough);
        m.put("general.architecture", GgufValue.ofString(fam.ggufArchitecture()));
        m.putIfAbsent("general.name", GgufValue.ofString("mixprune"));
        m.put("general.alignment", GgufValue.ofUint32(m.containsKey("general.alignment") ? m.get("general.alignment").asLong() : GgufFile.DEFAULT_ALIGNMENT));
        // llama_ftype: 0 = ALL_F32, 1 = MOSTLY_F16.
        m.put("general.file_type", GgufValue.ofUint32(dtype.llamaFileType()));
        m.put(fam.ggufKey(GgufKey.CONTEXT_LENGTH), GgufValue.ofUint32(c.seqLen()));
        m.put(fam.ggufKey(GgufKey.EMBEDDING_LENGTH), GgufValue.ofUint32(c.dim()));
        m.put(fam.ggufKey(GgufKey.FEED_FORWARD_LENGTH), GgufValue.ofUint32(c.hiddenDim()));
        m.put(fam.ggufKey(GgufKey.BLOCK_COUNT), GgufValue.ofUint32(c.nLayers()));
        m.put(fam.ggufKey(GgufKey.HEAD_COUNT), GgufValue.ofUint32(c.nHeads()));
        m.put(fam.ggufKey(GgufKey.HEAD_COUNT_KV), GgufValue.ofUint32(c.nKvHeads()));
        m.put(fam.ggufKey(GgufKey.ROPE_DIMENSION_COUNT), GgufValue.ofUint32(c.headSize()));
        m.put(fam.ggufKey(GgufKey.RMS_EPS), GgufValue.ofFloat32(c.normEps()));
        m.put(fam.ggufKey(GgufKey.ROPE_FREQ_BASE), GgufValue.ofFloat32(c.ropeTheta()));
        if (c.headDim() * c.nHeads() != c.dim()) {
            m.put(fam.ggufKey(GgufKey.KEY_LENGTH), GgufValue.ofUint32(c.headDim()));
            m.put(fam.ggufKey(GgufKey.VALUE_LENGTH), GgufValue.ofUint32(c.headDim()));
        }
        if (c.ropeScaling() instanceof RopeScaling.Linear l) {
            m.put(fam.ggufKey(GgufKey.ROPE_SCALING_TYPE), GgufValue.ofString("linear"));
            m.put(fam.ggufKey(GgufKey.ROPE_SCALING_FACTOR), GgufValue.ofFloat32((float) l.factor()));
        } else {
            // llama3 / explicit factors travel as the rope_freqs tensor; a stale linear key must not stay.
            m.remove(fam.ggufKey(GgufKey.ROPE_SCALING_TYPE));
            m.remove(fam.ggufKey(GgufKey.ROPE_SCALING_FACTOR));
        }
        if (tokenizer != null) GgufVocabulary.put(m, tokenizer, c.vocabSize());
        return m;
    }
}
