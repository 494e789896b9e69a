package dev.mixprune.tokenizer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acceptance 1 (issue 10), the independent reference: our byte-level BPE on the genuine Llama 3 and
 * Qwen3 tokenizer.json files equals {@code @lenml/tokenizers} (transformers.js) id for id on every
 * text of {@link ReferenceInputs}. One node process tokenizes everything.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public class ByteLevelReferenceTest {
    private ReferenceInputs inputs;
    private Tokenizer llama3, qwen3;
    private int[][] lenmlLlama3, lenmlQwen3;

    @BeforeAll
    void tokenizeWithTheReference(@TempDir Path work) throws Exception {
        Path l = NodeReferences.vocabulary("llama3"), q = NodeReferences.vocabulary("qwen3");
        inputs = ReferenceInputs.load();
        List<int[][]> ref = NodeReferences.run(List.of(NodeReferences.Job.lenml(l, inputs.texts()), NodeReferences.Job.lenml(q, inputs.texts())), work);
        lenmlLlama3 = ref.get(0);
        lenmlQwen3 = ref.get(1);
        llama3 = HfTokenizerJson.read(l.resolve("tokenizer.json"));
        qwen3 = HfTokenizerJson.read(q.resolve("tokenizer.json"));
    }

    @Test
    void llama3EqualsTheReferenceOnEveryText() { assertSame("llama3", llama3, lenmlLlama3); }

    @Test
    void qwen3EqualsTheReferenceOnEveryText() { assertSame("qwen3", qwen3, lenmlQwen3); }

    private void assertSame(String name, Tokenizer t, int[][] reference) {
        List<String> mismatches = new ArrayList<>();
        long tokens = 0;
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = mx.getCurrentThreadCpuTime();
        for (int i = 0; i < reference.length; i++) {
            int[] ours = t.encode(inputs.texts().get(i));
            tokens += ours.length;
            if (!Arrays.equals(ours, reference[i]) && mismatches.size() < 20) {
                mismatches.add(inputs.label(i) + " " + escape(inputs.texts().get(i)) + "\n  ours " + Arrays.toString(ours) + "\n  ref  " + Arrays.toString(reference[i]));
            }
        }
        System.out.printf("%s: %d texts (%d stories, %d wiki whole, %d wiki paragraphs, %d random), %,d tokens, %d mismatches; ours %.2f s CPU%n", name,
                reference.length, inputs.stories(), inputs.wikiWhole(), inputs.wikiParagraphs(), inputs.random(), tokens, mismatches.size(),
                (mx.getCurrentThreadCpuTime() - cpu0) / 1e9);
        assertThat(mismatches).as(name + " mismatches against @lenml/tokenizers").isEmpty();
    }

    @Test
    void decodingGivesTheTextBack() {
        for (String s : inputs.texts()) {
            assertThat(llama3.decodeString(llama3.encode(s))).as(escape(s)).isEqualTo(withoutControl(s, llama3));
            assertThat(qwen3.decodeString(qwen3.encode(s))).as(escape(s)).isEqualTo(withoutControl(Normalizer.normalize(s, Normalizer.Form.NFC), qwen3));
        }
    }

    /** Control tokens are not printed when decoding: the text without them. */
    private static String withoutControl(String s, Tokenizer t) {
        ByteLevelBpeTokenizer b = (ByteLevelBpeTokenizer) t;
        StringBuilder out = new StringBuilder();
        for (AddedTokenMatcher.Section sec : new AddedTokenMatcher(b.addedTokens()).split(s)) {
            if (sec.token() == null || !sec.token().control()) out.append(sec.text());
        }
        return out.toString();
    }

    public static String escape(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp >= 0x20 && cp < 0x7F && cp != '"' && cp != '\\') b.appendCodePoint(cp);
            else b.append(String.format("\\u{%X}", cp));
        });
        return b.append('"').toString();
    }
}
