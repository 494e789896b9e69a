package dev.mixprune.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where special tokens come from: tokenizer_config.json, the post-processor template, config.json / generation_config.json. */
class HfSpecialTokensTest {

    @Test
    void realFilesGiveTheFamiliesSpecials() throws Exception {
        Tokenizer llama3 = ReferenceCorpus.tokenizer(ReferenceCorpus.LLAMA3);
        SpecialTokens l = llama3.specialTokens();
        assertThat(l.bos()).isEqualTo(128_000);
        assertThat(l.addBos()).as("llama.cpp's llama-bpe default; the file has no template").isTrue();
        assertThat(l.eos()).isEqualTo(128_001);
        assertThat(l.endOfGeneration()).containsExactly(128_001, 128_009); // <|end_of_text|>, <|eot_id|>
        assertThat(llama3.encodeDocument("Hi")).startsWith(128_000);
        Tokenizer qwen = ReferenceCorpus.tokenizer(ReferenceCorpus.QWEN3);
        SpecialTokens q = qwen.specialTokens();
        assertThat(q.hasBos()).as("bos_token null").isFalse();
        assertThat(q.addBos()).isFalse();
        assertThat(q.eos()).isEqualTo(151_645);
        assertThat(q.pad()).isEqualTo(151_643);
        assertThat(q.endOfGeneration()).containsExactly(151_643, 151_645); // <|endoftext|>, <|im_end|>
        assertThat(qwen.encodeDocument("Hi")).isEqualTo(qwen.encode("Hi"));
    }

    @Test
    void sourcesInOrderOfPrecedence(@TempDir Path tmp) throws Exception {
        ObjectNode root = TinyByteLevel.json(30, 1);
        int eot = root.get("added_tokens").get(0).get("id").asInt(), imEnd = eot + 1;
        Path file = TinyByteLevel.write(root, tmp);
        // Nothing beside the file: no specials at all.
        assertThat(HfTokenizerJson.read(file).specialTokens()).isEqualTo(new SpecialTokens(-1, -1, -1, -1, false, false,
                java.util.List.of(eot, imEnd)));
        // A post-processor template with a leading special token: that token is BOS, and it is added.
        ObjectNode tpl = root.putObject("post_processor");
        tpl.put("type", "TemplateProcessing");
        ArrayNode single = tpl.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<|endoftext|>");
        single.addObject().putObject("Sequence").put("id", "A");
        TinyByteLevel.write(root, tmp);
        SpecialTokens s = HfTokenizerJson.read(file).specialTokens();
        assertThat(s.bos()).isEqualTo(eot);
        assertThat(s.addBos()).isTrue();
        // tokenizer_config.json overrides the template; config.json / generation_config.json fill in what it leaves out.
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"add_bos_token\": false, \"eos_token\": {\"content\": \"<|im_end|>\"}}");
        Files.writeString(tmp.resolve("generation_config.json"), "{\"bos_token_id\": 5, \"eos_token_id\": [" + imEnd + ", 7]}");
        s = HfTokenizerJson.read(file).specialTokens();
        assertThat(s.addBos()).isFalse();
        assertThat(s.bos()).as("config files before the template").isEqualTo(5);
        assertThat(s.eos()).isEqualTo(imEnd);
        assertThat(s.endOfGeneration()).containsExactly(7, eot, imEnd);
        assertThat(s.stopsGeneration(5)).as("BOS starts a new document").isTrue();
        assertThat(s.stopsGeneration(8)).isFalse();
    }

    @Test
    void aSpecialTokenThatIsNoTokenIsNamed(@TempDir Path tmp) throws Exception {
        Path file = TinyByteLevel.write(TinyByteLevel.json(10, 2), tmp);
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        assertThatThrownBy(() -> HfTokenizerJson.read(file)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("tokenizer_config.json").hasMessageContaining("field bos_token: \"<s>\" is not a token");
    }
}
