package dev.mixprune.reliability;

import dev.mixprune.BadInputException;
import dev.mixprune.allocate.FisherReport;
import dev.mixprune.allocate.FisherTraces;
import dev.mixprune.bench.SyntheticLlama;
import dev.mixprune.eval.zeroshot.Doc;
import dev.mixprune.eval.zeroshot.TaskLoader;
import dev.mixprune.eval.zeroshot.ZeroShotTask;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.TensorDType;
import dev.mixprune.io.TokenizerBin;
import dev.mixprune.io.TokenizerFiles;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.SparsityPlan;
import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.NonFinite;
import dev.mixprune.tokenizer.SentencePieceTokenizer;
import dev.mixprune.tokenizer.TinyByteLevel;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.tokenizer.Vocabulary;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.lifecycle.AfterContainer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13: fuzzing every reader. For each input format a small valid file is made, then damaged:
 * truncated at every offset, bytes replaced at random (fixed seeds), and header fields replaced
 * by lying values (0, -1, huge counts and lengths). Every case must either load with the
 * reader's invariants holding, or throw {@link BadInputException} whose message names the file.
 * Anything else (another exception, an {@link OutOfMemoryError} from an allocation sized by a
 * lying header, a stack overflow) fails the test.
 *
 * <p>Tagged {@code fuzz}: the build runs it in its own JVM with a 256 MiB heap (pom.xml, execution
 * "fuzz"). The default run takes well under a minute; {@code -Dmixprune.fuzz.rounds=N} repeats every
 * random case N times with derived seeds ({@code scripts/fuzz.sh}). The counts per reader and
 * outcome are printed at the end (docs/reliability.md quotes them).
 */
@Tag("fuzz")
class ReaderFuzzTest {
    static final int ROUNDS = Integer.getInteger("mixprune.fuzz.rounds", 1);

    /** One reader under test: a valid sample, the file of it to damage, its header size, and the load with its invariants. */
    enum Reader {
        LLAMA2C_BIN("model.bin", 28),
        TOKENIZER_BIN("tok32.bin", 4),
        GGUF("model.gguf", 1200),
        SAFETENSORS("hf/model.safetensors", 600),
        CONFIG_JSON("hf/config.json", 400),
        TOKENIZER_JSON("tokenizer.json", 300),
        PLAN_JSON("plan.json", 300),
        FISHER_JSON("fisher.json", 300),
        TASK_JSONL("tasks/arc_easy.jsonl", 200);

        final String file;
        final int header;

        Reader(String file, int header) {
            this.file = file;
            this.header = header;
        }
    }

    enum Outcome { LOADED, REJECTED }

    private static final Map<Reader, AtomicLongArray> COUNTS = new EnumMap<>(Reader.class);

    static {
        for (Reader r : Reader.values()) COUNTS.put(r, new AtomicLongArray(Outcome.values().length));
    }

    /** The valid samples (made once per JVM) and a scratch directory per reader for damaged copies. */
    static final class Samples {
        static final LlamaConfig CONFIG = new LlamaConfig(8, 16, 1, 2, 1, 32, 8, 1e-5f, 10000f, false);
        static final Path ROOT;
        static final Map<Reader, byte[]> BYTES = new EnumMap<>(Reader.class);

        static {
            try {
                ROOT = Files.createTempDirectory("mixprune-fuzz");
                Path valid = Files.createDirectories(ROOT.resolve("valid"));
                Tokenizer tok = tinyTokenizer();
                LlamaWeights w = SyntheticLlama.random(CONFIG, 7);
                ModelWriter.write(w, tok, null, valid.resolve("model.bin"), ModelFormat.BIN, TensorDType.F32);
                Files.write(valid.resolve("tok32.bin"), TokenizerBin.bytes(tok, valid.resolve("tok32.bin")));
                ModelWriter.write(w, tok, null, valid.resolve("model.gguf"), ModelFormat.GGUF, TensorDType.F16);
                ModelWriter.write(w, tok, null, valid.resolve("hf"), ModelFormat.SAFETENSORS, TensorDType.F32);
                Files.write(valid.resolve("tokenizer.json"), TinyByteLevel.json(24, 5).toString().getBytes(StandardCharsets.UTF_8));
                SparsityPlan.uniform(CONFIG, Pattern.parse("2:4")).save(valid.resolve("plan.json"));
                java.util.Map<LayerId, Double> traces = new TreeMap<>();
                int i = 0;
                for (LayerId id : LayerId.all(CONFIG)) traces.put(id, 1e-3 * ++i);
                new FisherReport(SparsityPlan.ModelShape.of(CONFIG), 4, 8, 2.5, "ab", "fuzz", traces, null).save(valid.resolve("fisher.json"));
                Files.createDirectories(valid.resolve("tasks"));
                List<String> lines = Files.readAllLines(dev.mixprune.SharedFiles.require(dev.mixprune.SharedFiles.resolve("data/tasks/arc_easy.jsonl")));
                Files.write(valid.resolve("tasks/arc_easy.jsonl"), lines.subList(0, 3));
                for (Reader r : Reader.values()) {
                    BYTES.put(r, Files.readAllBytes(valid.resolve(r.file)));
                    copyTree(valid, ROOT.resolve(r.name()));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** 32 pieces: the three llama2.c specials, letters, space and a few merges. */
        static Tokenizer tinyTokenizer() {
            List<byte[]> pieces = new ArrayList<>();
            for (String s : new String[]{"<unk>", "<s>", "</s>"}) pieces.add(s.getBytes(StandardCharsets.UTF_8));
            for (char c = 'a'; c <= 'z'; c++) pieces.add(("" + c).getBytes(StandardCharsets.UTF_8));
            for (String s : new String[]{" ", "ab", "abc"}) pieces.add(s.getBytes(StandardCharsets.UTF_8));
            float[] scores = new float[pieces.size()];
            for (int i = 0; i < scores.length; i++) scores[i] = -i;
            return SentencePieceTokenizer.llama2c(new Vocabulary(pieces, scores, 5));
        }

        static void copyTree(Path from, Path to) throws IOException {
            try (var s = Files.walk(from)) {
                for (Path p : s.toList()) {
                    Path t = to.resolve(from.relativize(p).toString());
                    if (Files.isDirectory(p)) Files.createDirectories(t);
                    else Files.copy(p, t, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Writes {@code bytes} as the reader's file (in the reader's own copy of the samples), loads it, and classifies the outcome. */
    static Outcome check(Reader r, byte[] bytes, String what) throws IOException {
        Path dir = Samples.ROOT.resolve(r.name());
        Path file = dir.resolve(r.file);
        Files.write(file, bytes);
        Outcome o;
        try {
            load(r, dir, file);
            o = Outcome.LOADED;
        } catch (BadInputException e) {
            String named = r == Reader.SAFETENSORS || r == Reader.CONFIG_JSON ? file.getParent().getFileName().toString() : file.getFileName().toString();
            assertThat(e.getMessage()).as("%s %s: the error names the file", r, what).contains(named);
            o = Outcome.REJECTED;
        } catch (Throwable t) {
            throw new AssertionError(r + " " + what + ": expected a load or a BadInputException naming " + file.getFileName() + ", got " + t, t);
        }
        COUNTS.get(r).incrementAndGet(o.ordinal());
        return o;
    }

    /** Loads the reader's file; on success checks what every consumer relies on. */
    static void load(Reader r, Path dir, Path file) throws IOException {
        LlamaConfig c = Samples.CONFIG;
        switch (r) {
            case LLAMA2C_BIN -> checkModel(ModelLoader.load(file, dir.resolve("tok32.bin")));
            case GGUF -> checkModel(ModelLoader.load(file, null));
            case SAFETENSORS, CONFIG_JSON -> checkModel(ModelLoader.load(file.getParent(), null));
            case TOKENIZER_BIN -> checkTokenizer(TokenizerFiles.read(file, c.vocabSize()), c.vocabSize());
            case TOKENIZER_JSON -> {
                Tokenizer t = TokenizerFiles.read(file, -1);
                checkTokenizer(t, t.size());
            }
            case PLAN_JSON -> {
                SparsityPlan p = SparsityPlan.load(file);
                p.checkFits(c, file.toString());
                for (LayerId id : LayerId.all(c)) assertThat(p.patternOf(id)).isNotNull();
            }
            case FISHER_JSON -> {
                FisherReport f = FisherReport.load(file, c);
                for (LayerId id : LayerId.all(c)) assertThat(f.trace(id)).isFinite().isGreaterThanOrEqualTo(0);
                assertThat(FisherTraces.read(file, c)).hasSize(LayerId.all(c).size());
            }
            case TASK_JSONL -> {
                List<Doc> docs = TaskLoader.load(ZeroShotTask.ARC_EASY, file.getParent());
                assertThat(docs).isNotEmpty();
                for (Doc d : docs) assertThat(d.gold()).isBetween(0, d.choices().size() - 1);
            }
        }
    }

    static void checkModel(LoadedModel m) {
        LlamaWeights w = m.weights();
        LlamaConfig c = w.config();
        assertThat(c.dim()).isPositive();
        assertThat(w.tokenEmbedding().rows()).isEqualTo(c.vocabSize());
        for (int b = 0; b < c.nLayers(); b++) {
            BlockWeights bw = w.block(b);
            for (LayerKind k : LayerKind.values()) {
                LinearWeight lw = bw.weight(k);
                assertThat(lw.rows()).isEqualTo(c.rowsOf(k));
                assertThat(lw.cols()).isEqualTo(c.colsOf(k));
                if (lw instanceof Matrix mx) assertThat(NonFinite.first(mx.data())).as("weights are finite").isEqualTo(-1);
            }
        }
        if (m.tokenizerOrNull() != null) checkTokenizer(m.tokenizerOrNull(), c.vocabSize());
    }

    static void checkTokenizer(Tokenizer t, int rows) {
        assertThat(t.size()).isPositive().isLessThanOrEqualTo(rows);
        for (int id : t.encode("abc cab zz")) assertThat(id).isBetween(0, rows - 1);
    }

    @Example
    void truncationAtEveryOffset() throws IOException {
        for (Reader r : Reader.values()) {
            byte[] valid = Samples.BYTES.get(r);
            assertThat(check(r, valid, "intact")).as("%s: the intact sample loads", r).isEqualTo(Outcome.LOADED);
            for (int n = 0; n < valid.length; n++) check(r, Arrays.copyOf(valid, n), "truncated to " + n + " bytes");
        }
    }

    @Provide
    Arbitrary<Reader> readers() {
        return Arbitraries.of(Reader.class);
    }

    /** 1 to 8 bytes anywhere in the file replaced by random values. */
    @Property(tries = 1500, seed = "20261206")
    void randomByteMutations(@ForAll("readers") Reader r, @ForAll long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < ROUNDS; round++) {
            byte[] b = Samples.BYTES.get(r).clone();
            int n = 1 + rnd.nextInt(8);
            StringBuilder what = new StringBuilder("bytes");
            for (int i = 0; i < n; i++) {
                int at = rnd.nextInt(b.length);
                b[at] = (byte) rnd.nextInt(256);
                what.append(' ').append(at).append('=').append(b[at] & 0xff);
            }
            check(r, b, what.toString());
        }
    }

    static final long[] LIES = {0, 1, -1, 2, 7, 255, 256, 65535, 1L << 31, (1L << 31) - 1, 1L << 32, (1L << 32) - 1,
            Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, 1L << 62, 0x7fffffffffffL};

    /** A field-sized little-endian value (2, 4 or 8 bytes) in the header region replaced by a lying count, length or size. */
    @Property(tries = 1500, seed = "4242")
    void lyingHeaders(@ForAll("readers") Reader r, @ForAll long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < ROUNDS; round++) {
            byte[] b = Samples.BYTES.get(r).clone();
            int width = new int[]{2, 4, 8}[rnd.nextInt(3)];
            int span = Math.max(1, Math.min(r.header, b.length) - width);
            int at = rnd.nextInt(span);
            // Text formats: a lie is a number written over the text.
            boolean text = r.file.endsWith(".json") || r.file.endsWith(".jsonl");
            long lie = LIES[rnd.nextInt(LIES.length)];
            if (text) {
                byte[] digits = Long.toString(lie).getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(digits, 0, b, at, Math.min(digits.length, b.length - at));
            } else {
                for (int i = 0; i < width && at + i < b.length; i++) b[at + i] = (byte) (lie >>> (8 * i));
            }
            check(r, b, "lie " + lie + " (" + width + " bytes) at " + at);
        }
    }

    @AfterContainer
    static void printFigures() throws IOException {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "reader fuzz (rounds %d, max heap %d MiB):%n", ROUNDS,
                Runtime.getRuntime().maxMemory() >> 20));
        for (Reader r : Reader.values()) {
            AtomicLongArray a = COUNTS.get(r);
            long loaded = a.get(Outcome.LOADED.ordinal()), rejected = a.get(Outcome.REJECTED.ordinal());
            sb.append(String.format(Locale.ROOT, "  %-15s %6d bytes  %7d cases: %7d loaded with invariants, %7d rejected naming the file%n",
                    r, Samples.BYTES.get(r).length, loaded + rejected, loaded, rejected));
        }
        System.out.print(sb);
        try (var s = Files.walk(Samples.ROOT)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
