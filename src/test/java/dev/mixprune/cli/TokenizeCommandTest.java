package dev.mixprune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.GgufValue;
import dev.mixprune.io.GgufWriter;
import dev.mixprune.io.TokenizerFiles;
import dev.mixprune.tokenizer.NodeReferences;
import dev.mixprune.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code mixprune tokenize}: documents as protocol P splits them, ids without special tokens, every place a tokenizer can be. */
class TokenizeCommandTest {
    record Run(int code, String out, String err) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path llama3Dir, tiny;
    @TempDir static Path tmp;
    private static Path text;

    @BeforeAll
    static void files() throws Exception {
        llama3Dir = NodeReferences.vocabulary("llama3");
        tiny = dev.mixprune.tokenizer.TinyByteLevel.write(dev.mixprune.tokenizer.TinyByteLevel.json(60, 4), tmp.resolve("tiny"));
        text = tmp.resolve("two.txt");
        Files.writeString(text, "  Once upon a time, Lily's 12345 cats.  \n\n\n \nThe end.<|im_end|>\n");
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new TokenizeCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler(new ErrorHandler());
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    private static List<int[]> documents(Run r) throws Exception {
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode docs = JSON.readTree(r.out()).get("documents");
        List<int[]> out = new ArrayList<>();
        for (JsonNode d : docs) {
            int[] ids = new int[d.size()];
            for (int i = 0; i < ids.length; i++) ids[i] = d.get(i).asInt();
            out.add(ids);
        }
        return out;
    }

    @Test
    void paragraphsAreDocumentsWithoutSpecialTokens() throws Exception {
        Path json = tiny;
        Tokenizer t = TokenizerFiles.read(json, -1);
        int imEnd = t.size() - 2;
        assertThat(t.tokenText(imEnd)).isEqualTo("<|im_end|>");
        List<int[]> docs = documents(run("--model", json.toString(), "--text", text.toString(), "--json"));
        assertThat(docs).hasSize(2);
        assertThat(docs.get(0)).containsExactly(t.encode("Once upon a time, Lily's 12345 cats."));
        assertThat(docs.get(1)).containsExactly(t.encode("The end.<|im_end|>")).endsWith(imEnd);
        // --bos: the tokenizer's BOS (tokenizer_config.json names it) before every document.
        Files.writeString(json.resolveSibling("tokenizer_config.json"), "{\"bos_token\": \"<|endoftext|>\", \"add_bos_token\": true}");
        List<int[]> withBos = documents(run("--model", json.toString(), "--text", text.toString(), "--json", "--bos"));
        Files.delete(json.resolveSibling("tokenizer_config.json"));
        assertThat(withBos.get(1)).startsWith(imEnd - 1).endsWith(docs.get(1));
        // *.raw is one document, bytes as they are.
        Path raw = Files.copy(text, tmp.resolve("two.raw"));
        List<int[]> whole = documents(run("--model", json.toString(), "--text", raw.toString(), "--json"));
        assertThat(whole).hasSize(1);
        assertThat(whole.get(0)).containsExactly(t.encode(Files.readString(raw)));
    }

    @Test
    void summaryNamesTheTokenizer() {
        Run r = run("--model", llama3Dir.resolve("tokenizer.json").toString(), "--text", text.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("tokenizer  byte-level-bpe (llama.cpp pre-tokenizer llama-bpe), 128256 tokens, BOS 128000 \"<|begin_of_text|>\" (added to documents)")
                .contains("EOS 128001 \"<|end_of_text|>\"").contains("end of generation 128001 \"<|end_of_text|>\", 128009 \"<|eot_id|>\"")
                .contains("2 documents (paragraphs)").contains("(no special tokens)");
        Run q = run("--model", NodeReferences.vocabulary("qwen3").toString(), "--text", text.toString(), "--bos");
        assertThat(q.out()).contains("(llama.cpp pre-tokenizer qwen2)").contains("BOS none").contains("(the tokenizer has no BOS)");
    }

    @Test
    void everyPlaceATokenizerCanBe(@TempDir Path dir) throws Exception {
        // The HF directory of a tokenizer without weights.
        List<int[]> viaDir = documents(run("--model", tiny.getParent().toString(), "--text", text.toString(), "--json"));
        List<int[]> viaFile = documents(run("--model", tiny.toString(), "--text", text.toString(), "--json"));
        assertThat(viaDir).hasSize(2);
        for (int i = 0; i < 2; i++) assertThat(viaDir.get(i)).containsExactly(viaFile.get(i));
        // llama2.c: a model (tokenizer beside it), a bare tokenizer.bin, tokenizer.model, a GGUF: the fixture ids (protocol T, with BOS).
        JsonNode fixture = JSON.readTree(SharedFiles.fixtures().resolve("tokenize.json").toFile());
        Path cases = dir.resolve("cases.txt");
        List<String> texts = new ArrayList<>();
        for (JsonNode c : fixture.get("cases")) {
            String s = c.get("text").asText();
            // Only texts that are one document as they are (no blank line, nothing protocol P would strip).
            if (!s.contains("\n") && !s.isBlank() && dev.mixprune.data.DocumentSplit.PARAGRAPHS.split(s).equals(List.of(s))) texts.add(s);
        }
        Files.writeString(cases, String.join("\n\n", texts));
        String[] models = {SharedFiles.stories260KBin().toString(), SharedFiles.tok512().toString(),
                SharedFiles.resolve("models/stories260K/tok512.model").toString(), SharedFiles.stories260KGguf().toString()};
        for (String m : models) {
            List<int[]> docs = documents(run("--model", m, "--text", cases.toString(), "--json", "--bos"));
            assertThat(docs).as(m).hasSize(texts.size());
            int k = 0;
            for (JsonNode c : fixture.get("cases")) {
                if (!texts.contains(c.get("text").asText())) continue;
                int[] want = JSON.treeToValue(c.get("ids_with_bos"), int[].class);
                assertThat(docs.get(k++)).as(m + ": " + c.get("text").asText()).containsExactly(want);
            }
        }
    }

    @Test
    void unsupportedTokenizersAreBadInput(@TempDir Path dir) throws Exception {
        Path wordPiece = dir.resolve("wp/tokenizer.json");
        Files.createDirectories(wordPiece.getParent());
        Files.writeString(wordPiece, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}}}");
        Run r = run("--model", wordPiece.toString(), "--text", text.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains(wordPiece.toString()).contains("field model.type: \"WordPiece\" is not supported");

        var root = dev.mixprune.tokenizer.TinyByteLevel.json(5, 1);
        root.set("pre_tokenizer", JSON.readTree("{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"WhitespaceSplit\"}, {\"type\": \"ByteLevel\"}]}"));
        Path ws = dev.mixprune.tokenizer.TinyByteLevel.write(root, dir.resolve("ws"));
        r = run("--model", ws.toString(), "--text", text.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("field pre_tokenizer.pretokenizers[0].type: \"WhitespaceSplit\" is not a supported pre-tokenizer");

        Path t5 = dir.resolve("t5.gguf");
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        meta.put("tokenizer.ggml.model", GgufValue.ofString("t5"));
        meta.put("tokenizer.ggml.tokens", GgufValue.ofStrings(List.of("a", "b")));
        GgufWriter.write(t5, meta, List.of());
        r = run("--model", t5.toString(), "--text", text.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains(t5.toString()).contains("tokenizer.ggml.model = \"t5\" is not supported");

        meta.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        meta.put("tokenizer.ggml.pre", GgufValue.ofString("falcon"));
        GgufWriter.write(t5, meta, List.of());
        r = run("--model", t5.toString(), "--text", text.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("tokenizer.ggml.pre = \"falcon\" is not a supported pre-tokenizer (supported: llama-bpe, llama3");
    }
}
