package dev.mixprune.io;

import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.BadInputException;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.RopeScaling;
import dev.mixprune.model.family.ModelFamilies;
import dev.mixprune.model.family.ModelFamily;
import dev.mixprune.model.family.RopeLayout;
import dev.mixprune.model.family.TensorId;
import dev.mixprune.quant.Q8Matrix;
import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.NonFinite;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * THE reader of every model format (llama2.c .bin, GGUF incl. packed N:M GGUF, HF safetensors
 * directory): memory-mapped and read on demand. Only headers are parsed when it opens, and every
 * tensor the model needs is located and checked (name from the model's family, shape, readable
 * type) then, so a bad file fails before any work. A block is dequantized to float32 only when
 * asked for, and the pages it was read from are released right after
 * ({@code MemorySegment.unload}), so neither the Java heap nor the resident file pages grow with
 * the model's depth. {@link ModelLoader} builds the whole in-memory model from it.
 *
 * <p>In memory q/k rows (and their biases) are in the interleaved RoPE order; files whose family
 * stores them in rotate_half order (every HF checkpoint, GGUF {@code qwen2}) are permuted on read.
 */
public final class MappedBlockSource implements BlockSource {
    /**
     * One tensor: the file holding it, its bytes in the mapping, how they are stored, and its
     * [rows][cols] shape (vectors: one row). Every read checks that the values are finite (issue 13
     * F2): a NaN or infinite weight is a bad input file, named with the tensor and the index, before
     * any command computes garbage from it.
     */
    private record Ref(Path file, String name, MemorySegment data, GgmlType type, int rows, int cols) {
        float[] rows(int first, int count) {
            float[] out = rowsKeepingPages(first, count);
            release();
            return out;
        }

        /** Rows without releasing their pages: for many small reads followed by one {@link #release}. */
        float[] rowsKeepingPages(int first, int count) {
            if (first < 0 || count < 0 || first + count > rows) throw new IndexOutOfBoundsException(name + ": rows [" + first + ", " + (first + count) + ") of " + rows);
            long rowBytes = type.bytesFor(cols);
            float[] out = new float[Math.multiplyExact(count, cols)];
            Dequantize.toFloat(type, data.asSlice(first * rowBytes, count * rowBytes), out);
            requireFinite(out, (long) first * cols);
            return out;
        }

        /** A Q8_0 tensor kept in its blocks: its values are finite exactly when every block's f16 scale is. */
        void requireFiniteQ8Scales() {
            var f16 = java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
            long blocks = data.byteSize() / dev.mixprune.quant.GgmlBlocks.Q8_0_BLOCK_BYTES;
            for (long b = 0; b < blocks; b++) {
                short h = data.get(f16, b * dev.mixprune.quant.GgmlBlocks.Q8_0_BLOCK_BYTES);
                if ((h & 0x7C00) == 0x7C00) {
                    long i = b * dev.mixprune.quant.GgmlBlocks.QK;
                    throw BadInputException.in(file, "tensor '" + name + "' has a non-finite Q8_0 block scale at index " + i + " (row " + i / cols
                            + ", columns " + i % cols + ".." + (i % cols + dev.mixprune.quant.GgmlBlocks.QK - 1) + "): the weights are damaged");
                }
            }
        }

        /** {@code values} are this tensor's elements from flat index {@code firstIndex} on. */
        void requireFinite(float[] values, long firstIndex) {
            int bad = NonFinite.first(values);
            if (bad >= 0) {
                long i = firstIndex + bad;
                throw BadInputException.in(file, "tensor '" + name + "' holds a non-finite value " + values[bad] + " at index " + i
                        + (rows > 1 ? " (row " + i / cols + ", column " + i % cols + ")" : "") + ": the weights are damaged");
            }
        }

        /** Gives the tensor's resident pages back (read once; the file stays mapped). */
        void release() {
            if (data.isMapped()) data.unload();
        }

        float[] all() { return rows(0, rows); }

        /** The whole tensor into {@code out} (exactly rows * cols long); the pages are released after. */
        void readInto(float[] out) {
            if (out.length != (long) rows * cols) throw new IllegalArgumentException(name + ": " + out.length + " values for a " + rows + "x" + cols + " tensor");
            Dequantize.toFloat(type, data, out);
            if (data.isMapped()) data.unload();
            requireFinite(out, 0);
        }
    }

    private final Path path;
    private final ModelFormat format;
    private final ModelFamily family;
    private final LlamaConfig config;
    private final Optional<Tokenizer> tokenizer;
    private final Map<String, Object> metadata;
    private final List<AutoCloseable> closeables;
    private final Ref embedding, finalNorm, classifier;
    private final Ref[] attNorm, ffnNorm;
    private final List<EnumMap<LayerKind, Ref>> linears, biases;
    /** Packed N:M layers of a packed GGUF (absent from {@link #linears}). */
    private final List<EnumMap<LayerKind, PackedGguf.Located>> packed;
    /** The file stores q/k rows in rotate_half order: permuted into the interleaved order on read. */
    private final boolean halvesQk;
    /** A released block whose arrays the next {@link #block} call fills (see {@link BlockSource#release}). */
    private BlockWeights spare;
    /** q/k of a rotate_half file are read here before their rows are permuted into the block's array. */
    private float[] scratch;

    private MappedBlockSource(Builder b) {
        this.path = b.path;
        this.format = b.format;
        this.family = b.family;
        this.config = b.config;
        this.tokenizer = b.tokenizer;
        this.metadata = b.metadata;
        this.closeables = b.closeables;
        this.embedding = b.embedding;
        this.finalNorm = b.finalNorm;
        this.classifier = b.classifier;
        this.attNorm = b.attNorm;
        this.ffnNorm = b.ffnNorm;
        this.linears = b.linears;
        this.biases = b.biases;
        this.packed = b.packed;
        this.halvesQk = b.qkLayout == RopeLayout.HALVES;
    }

    /** Opens a model with its tokenizer (looked up as {@link ModelLoader#load} says), without reading its tensors. */
    public static MappedBlockSource open(Path path, Path tokenizerPath) throws IOException {
        return open(path, tokenizerPath, true);
    }

    /** As {@link #open}, refusing a packed N:M GGUF: for passes that edit dense weights (pruning). */
    public static MappedBlockSource openDense(Path path, Path tokenizerPath) throws IOException {
        MappedBlockSource s = open(path, tokenizerPath, true);
        if (s.isPacked()) {
            s.close();
            throw BadInputException.in(path, "is a packed N:M model (mixprune.packed = true); pruning needs dense weights: prune the model it was packed from");
        }
        return s;
    }

    /** The weights only: no tokenizer is looked for (reading back a model just written, whose folder may hold anything). */
    public static MappedBlockSource openWeights(Path path) throws IOException {
        return open(path, null, false);
    }

    private static MappedBlockSource open(Path path, Path tokenizerPath, boolean withTokenizer) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString());
        if (tokenizerPath != null && !Files.exists(tokenizerPath)) throw new NoSuchFileException(tokenizerPath.toString());
        Builder b = new Builder();
        b.path = path;
        b.format = ModelFormat.detect(path);
        b.withTokenizer = withTokenizer;
        try {
            switch (b.format) {
                case BIN -> openBin(b, path, tokenizerPath);
                case GGUF -> openGguf(b, path, tokenizerPath);
                case SAFETENSORS -> openHf(b, Files.isDirectory(path) ? path : path.toAbsolutePath().getParent(), tokenizerPath);
            }
            return new MappedBlockSource(b);
        } catch (IOException | RuntimeException e) {
            b.closeAll();
            throw e;
        }
    }

    private static final class Builder {
        Path path;
        ModelFormat format;
        ModelFamily family;
        LlamaConfig config;
        RopeLayout qkLayout = RopeLayout.INTERLEAVED;
        boolean withTokenizer = true;
        Optional<Tokenizer> tokenizer = Optional.empty();
        Map<String, Object> metadata = Map.of();
        final List<AutoCloseable> closeables = new ArrayList<>();
        Ref embedding, finalNorm, classifier;
        Ref[] attNorm, ffnNorm;
        final List<EnumMap<LayerKind, Ref>> linears = new ArrayList<>(), biases = new ArrayList<>();
        final List<EnumMap<LayerKind, PackedGguf.Located>> packed = new ArrayList<>();
        /** Names of the file's tensors the model uses: any other tensor is refused ({@link #refuseUnused}). */
        final Set<String> used = new HashSet<>();

        void closeAll() {
            for (AutoCloseable c : closeables) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // closing after a failure: the first error is the one to report
                }
            }
        }

        void blocks(LlamaConfig c) {
            config = c;
            family = ModelFamilies.of(c);
            attNorm = new Ref[c.nLayers()];
            ffnNorm = new Ref[c.nLayers()];
            for (int l = 0; l < c.nLayers(); l++) {
                linears.add(new EnumMap<>(LayerKind.class));
                biases.add(new EnumMap<>(LayerKind.class));
                packed.add(new EnumMap<>(LayerKind.class));
            }
        }
    }

    private static void openBin(Builder b, Path path, Path tokenizerPath) throws IOException {
        LlamaConfig c = Llama2cBin.readConfig(path); // checks the header against the file's size
        Arena arena = Arena.ofShared();
        b.closeables.add(arena::close);
        MemorySegment seg;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
        Llama2cBin.Layout lay = new Llama2cBin.Layout(c);
        b.blocks(c);
        b.embedding = binRef(path, seg, "token_embedding", lay.embedding(), c.vocabSize(), c.dim());
        for (int l = 0; l < c.nLayers(); l++) {
            b.attNorm[l] = binRef(path, seg, "layer " + l + " rms_att_weight", lay.attNorm(l), 1, c.dim());
            b.ffnNorm[l] = binRef(path, seg, "layer " + l + " rms_ffn_weight", lay.ffnNorm(l), 1, c.dim());
            for (LayerKind k : LayerKind.values()) b.linears.get(l).put(k, binRef(path, seg, "layer " + l + " " + k.shortName(), lay.linear(k, l), c.rowsOf(k), c.colsOf(k)));
        }
        b.finalNorm = binRef(path, seg, "rms_final_weight", lay.finalNorm(), 1, c.dim());
        if (!c.sharedClassifier()) b.classifier = binRef(path, seg, "wcls", lay.classifier(), c.vocabSize(), c.dim());
        Path tok = ModelLoader.binTokenizer(path, tokenizerPath);
        if (tok != null && b.withTokenizer) b.tokenizer = Optional.of(TokenizerFiles.read(tok, c.vocabSize()));
    }

    private static Ref binRef(Path file, MemorySegment seg, String name, long offset, int rows, int cols) {
        return new Ref(file, name, seg.asSlice(offset, 4L * rows * cols), GgmlType.F32, rows, cols);
    }

    private static void openGguf(Builder b, Path path, Path tokenizerPath) throws IOException {
        GgufFile f = GgufFile.open(path);
        b.closeables.add(f);
        LlamaConfig c = GgufModel.config(f);
        boolean packedFile = PackedGguf.isPacked(f);
        b.blocks(c);
        ModelFamily fam = b.family;
        b.qkLayout = fam.ggufRopeLayout();
        b.embedding = ggufMatrix(b, f, fam.ggufName(TensorId.EMBEDDING), c.vocabSize(), c.dim());
        for (int l = 0; l < c.nLayers(); l++) {
            b.attNorm[l] = ggufVector(b, f, fam.ggufName(TensorId.attnNorm(l)), c.dim());
            b.ffnNorm[l] = ggufVector(b, f, fam.ggufName(TensorId.ffnNorm(l)), c.dim());
            for (LayerKind k : LayerKind.values()) {
                PackedGguf.Located p = packedFile ? PackedGguf.locate(f, fam, l, k, c.rowsOf(k), c.colsOf(k)) : null;
                if (p != null) {
                    b.packed.get(l).put(k, p);
                    b.used.add(fam.ggufName(TensorId.nmValues(l, k)));
                    b.used.add(fam.ggufName(TensorId.nmIndex(l, k)));
                } else {
                    b.linears.get(l).put(k, ggufMatrix(b, f, fam.ggufName(TensorId.weight(l, k)), c.rowsOf(k), c.colsOf(k)));
                }
                if (c.hasBias(k)) b.biases.get(l).put(k, ggufVector(b, f, fam.ggufName(TensorId.bias(l, k)), c.rowsOf(k)));
            }
        }
        b.finalNorm = ggufVector(b, f, fam.ggufName(TensorId.FINAL_NORM), c.dim());
        // A shared classifier may still be stored (byte-identical to the embedding, as llama2.c's converter writes it).
        b.used.add(fam.ggufName(TensorId.CLASSIFIER));
        if (!c.sharedClassifier()) b.classifier = ggufMatrix(b, f, fam.ggufName(TensorId.CLASSIFIER), c.vocabSize(), c.dim());
        if (!(c.ropeScaling() instanceof RopeScaling.None)) b.used.add(fam.ggufName(TensorId.ROPE_FREQS));
        refuseUnused(b, f.tensors().keySet(), name -> BadInputException.in(path, "tensor '" + name + "' is not part of a " + fam.ggufArchitecture()
                + " model as this file's metadata describes it (" + unusedHint(name) + "); refusing to ignore it"));
        b.tokenizer = !b.withTokenizer ? Optional.empty()
                : tokenizerPath != null ? Optional.of(TokenizerFiles.read(tokenizerPath, c.vocabSize()))
                : GgufVocabulary.read(f, c.vocabSize());
        b.metadata = new LinkedHashMap<>(f.metadata());
    }

    private static Ref ggufMatrix(Builder b, GgufFile f, String name, int rows, int cols) {
        b.used.add(name);
        GgufFile.TensorInfo t = f.requireTensor(name);
        if (t.dims().length != 2 || t.dims()[0] != cols || t.dims()[1] != rows) {
            throw BadInputException.in(f.path(), "tensor '" + name + "' has shape " + t.shapeString() + ", expected [" + cols + ", " + rows
                    + "] (GGUF dims are fastest-first: [in_features, out_features])");
        }
        return ggufRef(f, t, rows, cols);
    }

    private static Ref ggufVector(Builder b, GgufFile f, String name, int n) {
        b.used.add(name);
        GgufFile.TensorInfo t = f.requireTensor(name);
        if (t.dims().length != 1 || t.dims()[0] != n) throw BadInputException.in(f.path(), "tensor '" + name + "' has shape " + t.shapeString() + ", expected [" + n + "]");
        return ggufRef(f, t, 1, n);
    }

    private static Ref ggufRef(GgufFile f, GgufFile.TensorInfo t, int rows, int cols) {
        if (!t.type().canDequantize()) {
            throw BadInputException.in(f.path(), "tensor '" + t.name() + "' has type " + t.type() + "; this reader dequantizes only F32, F16, BF16, Q8_0 and Q4_0");
        }
        return new Ref(f.path(), t.name(), f.data(t), t.type(), rows, cols);
    }

    private static void openHf(Builder b, Path dir, Path tokenizerPath) throws IOException {
        Map<String, Object> cfg = HfModel.readConfigJson(dir);
        Map<String, SafetensorsFile> owner = new HashMap<>();
        for (Path p : HfModel.weightFiles(dir)) {
            SafetensorsFile sf = SafetensorsFile.open(p);
            b.closeables.add(sf);
            for (String n : sf.entries().keySet()) {
                SafetensorsFile prev = owner.put(n, sf);
                if (prev != null) throw BadInputException.in(p, "tensor '" + n + "' also appears in " + prev.path());
            }
        }
        ModelFamily fam = HfModel.family(dir, cfg);
        LlamaConfig c = HfModel.config(dir, cfg, owner.containsKey(fam.hfName(TensorId.CLASSIFIER)));
        b.blocks(c);
        b.qkLayout = fam.hfRopeLayout();
        b.embedding = hfRef(b, dir, owner, fam.hfName(TensorId.EMBEDDING), c.vocabSize(), c.dim(), false);
        for (int l = 0; l < c.nLayers(); l++) {
            b.attNorm[l] = hfRef(b, dir, owner, fam.hfName(TensorId.attnNorm(l)), 1, c.dim(), true);
            b.ffnNorm[l] = hfRef(b, dir, owner, fam.hfName(TensorId.ffnNorm(l)), 1, c.dim(), true);
            for (LayerKind k : LayerKind.values()) {
                b.linears.get(l).put(k, hfRef(b, dir, owner, fam.hfName(TensorId.weight(l, k)), c.rowsOf(k), c.colsOf(k), false));
                if (c.hasBias(k)) b.biases.get(l).put(k, hfRef(b, dir, owner, fam.hfName(TensorId.bias(l, k)), 1, c.rowsOf(k), true));
            }
        }
        b.finalNorm = hfRef(b, dir, owner, fam.hfName(TensorId.FINAL_NORM), 1, c.dim(), true);
        // tie_word_embeddings with an lm_head stored anyway: the config decides, the copy is not read.
        b.used.add(fam.hfName(TensorId.CLASSIFIER));
        if (!c.sharedClassifier()) b.classifier = hfRef(b, dir, owner, fam.hfName(TensorId.CLASSIFIER), c.vocabSize(), c.dim(), false);
        refuseUnused(b, owner.keySet(), name -> BadInputException.in(owner.get(name).path(), "tensor '" + name + "' is not part of a model_type "
                + fam.hfModelTypes().getFirst() + " model as " + HfModel.CONFIG + " describes it (" + unusedHint(name) + "); refusing to ignore it"));
        if (b.withTokenizer) {
            b.tokenizer = tokenizerPath != null ? Optional.of(TokenizerFiles.read(tokenizerPath, c.vocabSize()))
                    : TokenizerFiles.inHfDirectory(dir, c.vocabSize());
        }
        b.metadata = cfg;
        b.path = dir;
    }

    private static Ref hfRef(Builder b, Path dir, Map<String, SafetensorsFile> owner, String name, int rows, int cols, boolean vector) {
        b.used.add(name);
        SafetensorsFile f = owner.get(name);
        if (f == null) throw BadInputException.in(dir, "missing tensor '" + name + "' in the *.safetensors files");
        SafetensorsFile.Entry e = f.entry(name);
        boolean ok = vector ? e.shape().length == 1 && e.shape()[0] == cols : e.shape().length == 2 && e.shape()[0] == rows && e.shape()[1] == cols;
        if (!ok) {
            throw BadInputException.in(f.path(), "tensor '" + name + "' has shape " + e.shapeString() + ", expected " + (vector ? "[" + cols + "]" : "[" + rows + ", " + cols + "]")
                    + " (config.json)");
        }
        GgmlType t = switch (e.dtype()) {
            case "F32" -> GgmlType.F32;
            case "F16" -> GgmlType.F16;
            case "BF16" -> GgmlType.BF16;
            default -> throw BadInputException.in(f.path(), "tensor '" + name + "' has dtype " + e.dtype() + "; only F32, F16 and BF16 can be read");
        };
        return new Ref(f.path(), name, f.data(e), t, rows, cols);
    }

    /**
     * Every tensor of the file must be one the model uses: a q_proj.bias in a model whose config
     * has no biases would otherwise be silently ignored and the forward would be wrong. RoPE
     * inverse-frequency buffers of old HF checkpoints ({@code rotary_emb.inv_freq}) are derived
     * data and allowed.
     */
    private static void refuseUnused(Builder b, Collection<String> present, Function<String, BadInputException> error) {
        for (String name : new TreeSet<>(present)) {
            if (!b.used.contains(name) && !name.endsWith(".rotary_emb.inv_freq")) throw error.apply(name);
        }
    }

    private static String unusedHint(String name) {
        if (name.endsWith(".bias")) return "its config declares no bias for this layer";
        if (name.contains("rope_freqs")) return "RoPE frequency factors the config does not use";
        return "unknown tensor";
    }

    @Override public Path path() { return path; }
    @Override public ModelFormat format() { return format; }
    @Override public LlamaConfig config() { return config; }
    @Override public Optional<Tokenizer> tokenizer() { return tokenizer; }
    @Override public Map<String, Object> metadata() { return metadata; }

    /** The model's family (names of its tensors and metadata). */
    public ModelFamily family() { return family; }

    /** True when at least one linear is stored packed N:M (a packed GGUF). */
    public boolean isPacked() {
        for (EnumMap<LayerKind, PackedGguf.Located> m : packed) if (!m.isEmpty()) return true;
        return false;
    }

    @Override public String weightType() {
        TreeSet<String> types = new TreeSet<>();
        for (EnumMap<LayerKind, Ref> m : linears) for (Ref r : m.values()) types.add(r.type().name());
        for (EnumMap<LayerKind, PackedGguf.Located> m : packed) for (PackedGguf.Located p : m.values()) types.add(p.valueType().name());
        return types.size() == 1 ? types.first() : "mixed";
    }

    @Override public BlockWeights block(int b) {
        if (b < 0 || b >= config.nLayers()) throw new IndexOutOfBoundsException("block " + b + " of " + config.nLayers());
        BlockWeights reuse = spare;
        spare = null;
        EnumMap<LayerKind, LinearWeight> lin = new EnumMap<>(LayerKind.class);
        for (LayerKind k : LayerKind.values()) lin.put(k, readLinear(b, k, reuse != null ? reuse.linear(k).data() : null));
        return new BlockWeights(attNorm(b), ffnNorm(b), lin, biases(b), b);
    }

    /** The attention RMSNorm gain of block {@code b}. */
    public float[] attNorm(int b) { return attNorm[b].all(); }

    /** The FFN RMSNorm gain of block {@code b}. */
    public float[] ffnNorm(int b) { return ffnNorm[b].all(); }

    /** The biases of block {@code b}'s linears that have one (q/k in the interleaved order). */
    public Map<LayerKind, float[]> biases(int b) {
        EnumMap<LayerKind, float[]> bias = new EnumMap<>(LayerKind.class);
        biases.get(b).forEach((k, r) -> bias.put(k, qkRows(k, r.all(), 1)));
        return bias;
    }

    /**
     * One linear of block {@code b} as stored: dense (in the interleaved q/k order) or packed;
     * {@code into} (rows * cols long, may be null) receives a dense layer's values.
     */
    public LinearWeight readLinear(int b, LayerKind k, float[] into) {
        PackedGguf.Located p = packed.get(b).get(k);
        if (p != null) return p.read(halvesQk && (k == LayerKind.WQ || k == LayerKind.WK) ? (k == LayerKind.WQ ? config.nHeads() : config.nKvHeads()) : 0);
        Ref r = linears.get(b).get(k);
        float[] data = into != null ? into : new float[r.rows() * r.cols()];
        if (halvesQk && (k == LayerKind.WQ || k == LayerKind.WK)) {
            // Read in rotate_half row order, then place the rows in the interleaved order.
            if (scratch == null || scratch.length != data.length) scratch = new float[data.length];
            r.readInto(scratch);
            RopePermutation.fromHalves(scratch, data, r.rows(), r.cols(), k == LayerKind.WQ ? config.nHeads() : config.nKvHeads());
        } else {
            r.readInto(data);
        }
        return new Matrix(r.rows(), r.cols(), data);
    }

    /**
     * One linear as {@link #readLinear} reads it, except that a weight stored as Q8_0 (and not
     * row-permuted on read) stays in its blocks ({@link Q8Matrix}): the form inference runs in.
     */
    public LinearWeight readLinearKeepingQ8(int b, LayerKind k) {
        Ref r = linears.get(b).get(k);
        boolean permuted = halvesQk && (k == LayerKind.WQ || k == LayerKind.WK);
        if (r != null && r.type() == GgmlType.Q8_0 && !permuted) {
            r.requireFiniteQ8Scales();
            Q8Matrix q = Q8Matrix.fromBlocks(r.rows(), r.cols(), r.data());
            r.release();
            return q;
        }
        return readLinear(b, k, null);
    }

    /** The classifier (the embedding when shared) in its Q8_0 blocks when the file stores it so, else null. */
    public Q8Matrix classifierQ8() {
        Ref r = classifier != null ? classifier : embedding;
        if (r.type() != GgmlType.Q8_0) return null;
        r.requireFiniteQ8Scales();
        Q8Matrix q = Q8Matrix.fromBlocks(r.rows(), r.cols(), r.data());
        r.release();
        return q;
    }

    /** A q/k bias of a rotate_half file in the interleaved order (other vectors unchanged). */
    private float[] qkRows(LayerKind k, float[] v, int cols) {
        if (!halvesQk || (k != LayerKind.WQ && k != LayerKind.WK)) return v;
        float[] out = new float[v.length];
        RopePermutation.fromHalves(v, out, v.length / cols, cols, k == LayerKind.WQ ? config.nHeads() : config.nKvHeads());
        return out;
    }

    @Override public void release(BlockWeights w) {
        if (w != null && !w.hasPacked()) {
            w.validate(config, 0);
            spare = w;
        }
    }

    @Override public float[] embeddingRows(int first, int count) { return embedding.rows(first, count); }

    /** Gathers the rows of the tokens, then releases the embedding's pages once (not once per token). */
    @Override public Matrix embed(List<int[]> seqs, int seqLen) {
        try {
            return BlockSource.gatherRows(config.dim(), seqs, seqLen, token -> embedding.rowsKeepingPages(token, 1));
        } finally {
            embedding.release();
        }
    }

    @Override public float[] classifierRows(int first, int count) {
        if (classifier == null) throw new IllegalStateException(path + ": the classifier is shared with the embedding");
        return classifier.rows(first, count);
    }

    @Override public float[] finalNorm() { return finalNorm.all(); }

    @Override public void close() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + path + ": " + e.getMessage(), e);
            }
        }
    }
}
