package dev.mixprune.tokenizer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The parts of byte-level BPE against their definitions (tokenizers' documented examples, GPT-2's alphabet) and naive references. */
class ByteLevelPartsTest {

    @Test
    void alphabetIsGpt2sBijection() {
        Set<Character> chars = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteLevelAlphabet.charOf(b);
            assertThat(chars.add(c)).isTrue();
            assertThat(ByteLevelAlphabet.byteOf(c)).isEqualTo(b);
        }
        assertThat(ByteLevelAlphabet.charOf(' ')).isEqualTo('\u0120'); // "Ġ"
        assertThat(ByteLevelAlphabet.charOf('\n')).isEqualTo('\u010A'); // "Ċ"
        assertThat(ByteLevelAlphabet.charOf('A')).isEqualTo('A');
        assertThat(ByteLevelAlphabet.charOf(0xAD)).isEqualTo('\u0143'); // the last of the 68 remapped bytes
        String text = "héllo wörld 😀\t\r\n";
        assertThat(new String(ByteLevelAlphabet.decode(ByteLevelAlphabet.encode(text)), StandardCharsets.UTF_8)).isEqualTo(text);
    }

    /** tokenizers' documentation example for SplitDelimiterBehavior, pattern "-". */
    @Test
    void splitBehaviorsAsTokenizersDocumentsThem() {
        String s = "the-final--countdown";
        assertThat(split(PreTokenizer.Behavior.REMOVED, false, s)).containsExactly("the", "final", "countdown");
        assertThat(split(PreTokenizer.Behavior.ISOLATED, false, s)).containsExactly("the", "-", "final", "-", "-", "countdown");
        assertThat(split(PreTokenizer.Behavior.MERGED_WITH_PREVIOUS, false, s)).containsExactly("the-", "final-", "-", "countdown");
        assertThat(split(PreTokenizer.Behavior.MERGED_WITH_NEXT, false, s)).containsExactly("the", "-final", "-", "-countdown");
        assertThat(split(PreTokenizer.Behavior.CONTIGUOUS, false, s)).containsExactly("the", "-", "final", "--", "countdown");
        // invert: the pattern matches the pieces, the text between them is the delimiter.
        assertThat(split(PreTokenizer.Behavior.REMOVED, true, s)).containsExactly("-", "-", "-");
    }

    private static List<String> split(PreTokenizer.Behavior b, boolean invert, String s) {
        List<String> out = new ArrayList<>();
        PreTokenizer.Split.of("-", false, b, invert).split(s, out);
        return out;
    }

    /** tokenizers' documentation example for Digits, plus numerals of other scripts (Rust's char::is_numeric). */
    @Test
    void digitsSplitOffNumericCharacters() {
        List<String> out = new ArrayList<>();
        new PreTokenizer.Digits(true).split("Call 123 please", out);
        assertThat(out).containsExactly("Call ", "1", "2", "3", " please");
        out.clear();
        new PreTokenizer.Digits(false).split("Call 123 please", out);
        assertThat(out).containsExactly("Call ", "123", " please");
        out.clear();
        new PreTokenizer.Digits(true).split("x\u00B2\u0663\uFF13\u216B", out); // superscript two, Arabic-Indic three, fullwidth three, Roman twelve
        assertThat(out).containsExactly("x", "\u00B2", "\u0663", "\uFF13", "\u216B");
    }

    @Test
    void regexesMeanWhatOnigurumaMakesOfThem() {
        var ws = HfRegex.compile("\\s+");
        assertThat(ws.matcher("\u0085\u00A0\u3000\u2028\t").matches()).as("Unicode White_Space").isTrue();
        assertThat(ws.matcher("\uFEFF").matches()).as("BOM is not White_Space").isFalse();
        assertThat(HfRegex.compile("[^\\s\\p{L}]+").matcher("\u00A0").matches()).isFalse();
        var contraction = HfRegex.compile("(?i:'s|'ll)");
        assertThat(contraction.matcher("'S").matches()).isTrue();
        assertThat(contraction.matcher("'Ll").matches()).isTrue();
        assertThat(contraction.matcher("'\u017F").matches()).as("ASCII folding only: long s is not s").isFalse();
        assertThat(HfRegex.compile("\\p{Han}+").matcher("中文").matches()).isTrue();
        assertThat(HfRegex.compile("\\d").matcher("\u0663").matches()).as("\\d is Unicode Nd").isTrue();
        assertThat(HfRegex.compile("\\h+").matcher("0aF").matches()).as("\\h is a hex digit in Oniguruma").isTrue();
        assertThat(HfRegex.compile("a$").matcher("a\nb").find()).as("$ before a newline").isTrue();
    }

    @Test
    void addedTokensMatchLeftmostLongestWithStripping() {
        AddedToken start = AddedToken.plain(10, "<|im_start|>", true), st = AddedToken.plain(11, "<|im_", true);
        AddedToken left = new AddedToken(12, "<L>", false, true, false, false, false), right = new AddedToken(13, "<R>", false, false, true, false, false);
        AddedToken word = new AddedToken(14, "tok", false, false, false, true, false);
        AddedTokenMatcher m = new AddedTokenMatcher(List.of(st, start, left, right, word));
        assertThat(sections(m, "a<|im_start|>b<|im_x")).containsExactly("a", "[10]", "b", "[11]", "x");
        assertThat(sections(m, "a  <L>  b")).containsExactly("a", "[12]", "  b");
        assertThat(sections(m, "a  <R>  b")).containsExactly("a  ", "[13]", "b");
        assertThat(sections(m, "tok stok tok_ tok")).containsExactly("[14]", " stok tok_ ", "[14]");
    }

    private static List<String> sections(AddedTokenMatcher m, String s) {
        return m.split(s).stream().map(x -> x.token() == null ? x.text() : "[" + x.token().id() + "]").toList();
    }

    /** The heap-based merge loop against the naive rescan on random words, for tokenizers whose merges chain and tie. */
    @Test
    void heapBpeEqualsNaiveBpe(@TempDir Path tmp) throws Exception {
        SplittableRandom r = new SplittableRandom(3);
        for (int t = 0; t < 20; t++) {
            ObjectNode root = TinyByteLevel.json(20 + r.nextInt(200), t);
            ((ObjectNode) root.get("model")).put("ignore_merges", t % 2 == 0);
            ByteLevelBpeTokenizer tok = (ByteLevelBpeTokenizer) HfTokenizerJson.read(TinyByteLevel.write(root, tmp.resolve("t" + t)));
            String alpha = "abcde \u00e9x";
            for (int w = 0; w < 300; w++) {
                StringBuilder sb = new StringBuilder();
                for (int k = r.nextInt(30); k > 0; k--) sb.append(alpha.charAt(r.nextInt(alpha.length())));
                String word = ByteLevelAlphabet.encode(sb.toString());
                assertThat(tok.model().encodeUncached(word)).as("vocab %d word %s", t, word).containsExactly(tok.model().naiveEncode(word));
            }
        }
    }

    @Test
    void llamaCppNamesArePipelinesOfKnownShape() {
        assertThat(LlamaCppPre.recognise(TextNormalizer.NONE, LlamaCppPre.LLAMA_BPE.preTokenizer())).contains(LlamaCppPre.LLAMA_BPE);
        assertThat(LlamaCppPre.recognise(LlamaCppPre.QWEN2.normalizer(), LlamaCppPre.QWEN2.preTokenizer())).contains(LlamaCppPre.QWEN2);
        assertThat(LlamaCppPre.recognise(TextNormalizer.NONE, LlamaCppPre.QWEN2.preTokenizer())).as("Qwen's regex without NFC").isEmpty();
        assertThat(LlamaCppPre.recognise(TextNormalizer.NONE, new PreTokenizer.ByteLevel(false, true, false))).contains(LlamaCppPre.GPT2);
        assertThat(LlamaCppPre.recognise(TextNormalizer.NONE, new PreTokenizer.ByteLevel(true, true, false))).as("prefix space").isEmpty();
        assertThat(LlamaCppPre.recognise(TextNormalizer.NONE, new PreTokenizer.Sequence(List.of(new PreTokenizer.Digits(true),
                new PreTokenizer.ByteLevel(false, true, true))))).contains(LlamaCppPre.SMOLLM);
        assertThat(LlamaCppPre.byGgufName("llama3")).contains(LlamaCppPre.LLAMA_BPE);
        assertThat(LlamaCppPre.byGgufName("falcon")).isEmpty();
        assertThat(Map.of("k", LlamaCppPre.known())).extracting("k").asString().contains("llama-bpe", "qwen2", "smollm", "gpt-2");
    }
}
