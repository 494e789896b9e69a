package dev.mixprune.tokenizer;

import dev.mixprune.io.TokenizerFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * What the reference comparisons share within one test JVM, built once: the inputs, the real
 * tokenizers (llama3, qwen3 and the SmolLM-style variant of llama3), and our ids for every input.
 * Loading a 10 MB tokenizer.json and encoding 3 million characters is done once, not per class.
 */
public final class ReferenceCorpus {
    public static final String LLAMA3 = "llama3", QWEN3 = "qwen3", SMOL = "smollm-style";

    private static ReferenceInputs inputs;
    private static Path smolDir;
    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();
    private static final Map<String, int[][]> OURS = new ConcurrentHashMap<>();

    private ReferenceCorpus() {}

    public static synchronized ReferenceInputs inputs() {
        if (inputs == null) inputs = ReferenceInputs.load();
        return inputs;
    }

    /** The models/ folder (tokenizer.json + tokenizer_config.json) of a vocabulary. */
    public static synchronized Path dir(String name) {
        if (!name.equals(SMOL)) return NodeReferences.vocabulary(name);
        if (smolDir == null) {
            try {
                Path tmp = Files.createTempDirectory("mixprune-smol");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(tmp)));
                smolDir = ByteLevelReferenceTest.smolLmStyle(tmp);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return smolDir;
    }

    public static Tokenizer tokenizer(String name) {
        return TOKENIZERS.computeIfAbsent(name, n -> {
            try {
                return TokenizerFiles.read(dir(n).resolve("tokenizer.json"), -1);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The texts a vocabulary is compared on: all inputs, or for the SmolLM-style tokenizer the stories and random strings. */
    public static List<String> texts(String name) {
        return name.equals(SMOL) ? ByteLevelReferenceTest.smolLmTexts(inputs()) : inputs().texts();
    }

    /** Our ids of {@link #texts}, with the time it took printed once. */
    public static int[][] ours(String name) {
        return OURS.computeIfAbsent(name, n -> {
            Tokenizer t = tokenizer(n);
            List<String> texts = texts(n);
            var mx = java.lang.management.ManagementFactory.getThreadMXBean();
            long cpu0 = mx.getCurrentThreadCpuTime(), wall0 = System.nanoTime();
            int[][] out = new int[texts.size()][];
            long tokens = 0;
            for (int i = 0; i < out.length; i++) tokens += (out[i] = t.encode(texts.get(i))).length;
            System.out.printf("%s: %,d texts, %,d characters, %,d tokens in %.2f s thread CPU (%.2f s wall)%n", n, out.length,
                    texts.stream().mapToLong(String::length).sum(), tokens, (mx.getCurrentThreadCpuTime() - cpu0) / 1e9, (System.nanoTime() - wall0) / 1e9);
            return out;
        });
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at JVM exit
        }
    }
}
