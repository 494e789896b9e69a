package dev.mixprune.tokenizer;

import dev.mixprune.SharedFiles;
import dev.mixprune.io.TokenizerBin;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The O(n log n) encoder against the naive greedy rule (protocols.md T), id for id. */
class HeapBpeTest {
    private static Vocabulary tok512;
    private static SentencePieceTokenizer tokenizer;
    private static List<String> vocabWords;

    @BeforeAll
    static void load() throws IOException {
        tok512 = TokenizerBin.read(SharedFiles.tok512(), 512);
        tokenizer = SentencePieceTokenizer.llama2c(tok512);
        vocabWords = new ArrayList<>();
        for (int i = 259; i < tok512.size(); i++) vocabWords.add(tok512.pieceString(i));
    }

    private static int[] naive(Vocabulary v, String text) {
        return SentencePieceTokenizer.NaiveBpe.encode(v, text).stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] fast(Vocabulary v, String text) {
        return SentencePieceTokenizer.llama2c(v).encode(text);
    }

    @Property(tries = 3000, seed = "20261128")
    void matchesNaiveRuleOnMixedText(@ForAll("mixedText") String text) {
        assertThat(tokenizer.encode(text)).as("text %s", escape(text)).containsExactly(naive(tok512, text).clone());
    }

    @Provide
    Arbitrary<String> mixedText() {
        Arbitrary<String> fragment = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.of(vocabWords)),
                net.jqwik.api.Tuple.of(3, Arbitraries.strings().withCharRange(' ', '~').ofMinLength(1).ofMaxLength(8)),
                net.jqwik.api.Tuple.of(2, Arbitraries.strings().withChars(" \t\n\r").ofMinLength(1).ofMaxLength(5)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("\n", "\n\n", "\r\n", " \n ")),
                net.jqwik.api.Tuple.of(2, Arbitraries.strings().withCharRange('\u00a0', '\u024f').ofMinLength(1).ofMaxLength(4)),
                net.jqwik.api.Tuple.of(1, Arbitraries.strings().withCharRange('\u0370', '\u04ff').ofMinLength(1).ofMaxLength(4)),
                net.jqwik.api.Tuple.of(1, Arbitraries.strings().withCharRange('\u4e00', '\u9fff').ofMinLength(1).ofMaxLength(4)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("\uD83D\uDE00", "\uD83D\uDC4D\uD83C\uDFFD", "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67",
                        "\uD83C\uDDEB\uD83C\uDDF7", "\u2764\uFE0F", "\uD800\uDC00", "\uDBFF\uDFFF", "\uFFFD", "\u0000")));
        return fragment.list().ofMaxSize(30).map(parts -> String.join("", parts));
    }

    @Test
    void matchesNaiveRuleOnCorpusSnippets() throws IOException {
        String stories = Files.readString(SharedFiles.tinyStoriesValid());
        String wiki = Files.readString(SharedFiles.wikiTest());
        Random rnd = new Random(7);
        for (int i = 0; i < 200; i++) {
            String src = i % 2 == 0 ? stories : wiki;
            int from = rnd.nextInt(src.length() - 400);
            String text = src.substring(from, from + 1 + rnd.nextInt(400));
            assertThat(tokenizer.encode(text)).as("snippet at %d", from).containsExactly(naive(tok512, text));
        }
    }

    /**
     * Synthetic vocabularies over a tiny alphabet with few distinct scores: many equal-score pairs
     * (ties go leftmost), duplicate pieces (first id wins), -0.0 vs 0.0 (equal), NaN and -inf
     * scores (never merged), an empty piece.
     */
    @Test
    void matchesNaiveRuleOnAdversarialVocabularies() {
        Random rnd = new Random(2024);
        float[] scorePool = {0f, -0f, 1f, 1f, -1f, 2.5f, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -3f};
        String alphabet = "ab c\u00e9\uD83D\uDE00";
        for (int v = 0; v < 60; v++) {
            List<byte[]> pieces = new ArrayList<>();
            List<Float> scores = new ArrayList<>();
            pieces.add("<unk>".getBytes(StandardCharsets.UTF_8)); scores.add(0f);
            pieces.add("\n<s>\n".getBytes(StandardCharsets.UTF_8)); scores.add(0f);
            pieces.add("\n</s>\n".getBytes(StandardCharsets.UTF_8)); scores.add(0f);
            for (int b = 0; b < 256; b++) { pieces.add(String.format("<0x%02X>", b).getBytes(StandardCharsets.UTF_8)); scores.add(0f); }
            alphabet.codePoints().forEach(cp -> {
                if (rnd.nextInt(5) > 0) { pieces.add(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)); scores.add(0f); }
            });
            if (rnd.nextBoolean()) { pieces.add(new byte[0]); scores.add(1f); }
            int merged = 5 + rnd.nextInt(60);
            for (int k = 0; k < merged; k++) {
                StringBuilder sb = new StringBuilder();
                int len = 2 + rnd.nextInt(4);
                for (int c = 0; c < len; c++) sb.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0, rnd.nextInt(alphabet.codePointCount(0, alphabet.length())))));
                pieces.add(sb.toString().getBytes(StandardCharsets.UTF_8));
                scores.add(scorePool[rnd.nextInt(scorePool.length)]);
            }
            if (rnd.nextBoolean()) { // a byte piece that is invalid UTF-8 on its own
                pieces.add(new byte[]{(byte) 0xC3}); scores.add(5f);
            }
            float[] s = new float[scores.size()];
            for (int i = 0; i < s.length; i++) s[i] = scores.get(i);
            Vocabulary vocab = new Vocabulary(pieces, s, 16);
            Tokenizer t = SentencePieceTokenizer.llama2c(vocab);
            for (int trial = 0; trial < 100; trial++) {
                StringBuilder text = new StringBuilder();
                int len = rnd.nextInt(40);
                for (int c = 0; c < len; c++) {
                    if (rnd.nextInt(20) == 0) text.append('x'); // not in the vocabulary: byte fallback
                    else text.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0, rnd.nextInt(alphabet.codePointCount(0, alphabet.length())))));
                }
                String str = text.toString();
                assertThat(t.encode(str)).as("vocab %d text %s", v, escape(str)).containsExactly(naive(vocab, str));
            }
        }
    }

    @Test
    void longHeapAndPrimitiveMapAgreeWithJavaCollections() {
        Random rnd = new Random(11);
        for (int round = 0; round < 50; round++) {
            int n = rnd.nextInt(300);
            long[] init = new long[n + rnd.nextInt(3)];
            java.util.PriorityQueue<Long> ref = new java.util.PriorityQueue<>();
            for (int i = 0; i < n; i++) { init[i] = rnd.nextInt(50) - 25L * rnd.nextInt(3) * (1L << 40); ref.add(init[i]); }
            LongHeap heap = LongHeap.heapify(init, n);
            for (int step = 0; step < 1000 && !ref.isEmpty(); step++) {
                if (rnd.nextInt(3) == 0) {
                    long v = rnd.nextLong() >> rnd.nextInt(64);
                    heap.push(v);
                    ref.add(v);
                } else {
                    assertThat(heap.pop()).isEqualTo(ref.poll());
                }
            }
            while (!ref.isEmpty()) assertThat(heap.pop()).isEqualTo(ref.poll());
            assertThat(heap.isEmpty()).isTrue();
        }
        PrimitiveMap map = new PrimitiveMap(4);
        java.util.Map<Long, Integer> refMap = new java.util.HashMap<>();
        for (int i = 0; i < 20000; i++) {
            long key = rnd.nextInt(5000) * (rnd.nextBoolean() ? 1L : (1L << 32));
            int value = rnd.nextInt(1000);
            map.put(key, value);
            refMap.put(key, value);
            long probe = rnd.nextInt(6000) * (rnd.nextBoolean() ? 1L : (1L << 32));
            assertThat(map.get(probe)).isEqualTo(refMap.getOrDefault(probe, -1));
        }
    }

    @Test
    void documentsStartWithLlama2cBosAndGenerationStopsAtBosOrEos() {
        int[] body = tokenizer.encode("Hello");
        assertThat(tokenizer.encodeDocument("Hello")).hasSize(body.length + 1).startsWith(1).endsWith(body);
        assertThat(tokenizer.encodeDocument("")).containsExactly(1);
        assertThat(tokenizer.encode("")).isEmpty();
        SpecialTokens s = tokenizer.specialTokens();
        assertThat(s.bos()).isEqualTo(1);
        assertThat(s.eos()).isEqualTo(2);
        assertThat(s.unk()).isZero();
        assertThat(s.endOfGeneration()).containsExactly(2);
        assertThat(s.stopsGeneration(1)).isTrue();
        assertThat(s.stopsGeneration(2)).isTrue();
        assertThat(s.stopsGeneration(3)).isFalse();
        // Control tokens print nothing; the space after BOS is dropped (run.c).
        assertThat(tokenizer.decodeString(tokenizer.encodeDocument("Hello"))).isEqualTo("Hello");
        assertThat(tokenizer.decodeString(new int[]{2})).isEmpty();
    }

    /** Loose complexity guard (an O(n^2) encoder takes minutes here); the time is printed, not asserted tightly. */
    @Test
    void tokenizesWikiTestQuickly() throws IOException {
        String wiki = Files.readString(SharedFiles.wikiTest());
        tokenizer.encodeDocument(wiki.substring(0, 100_000)); // warm-up
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        int[] ids = tokenizer.encodeDocument(wiki);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpuSeconds = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9; // less disturbed by a busy machine
        System.out.printf("HeapBpe: wiki.test.raw (%d chars) -> %d tokens in %.3f s wall, %.3f s thread CPU%n", wiki.length(), ids.length, seconds, cpuSeconds);
        assertThat(ids).hasSize(809_290);
        assertThat(seconds).isLessThan(10.0);
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c >= ' ' && c < 127) sb.append(c);
            else sb.append(String.format("\\u%04x", (int) c));
        }
        return sb.toString() + " (utf8 " + HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8)) + ")";
    }
}
