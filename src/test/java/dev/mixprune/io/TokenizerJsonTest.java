package dev.mixprune.io;

import dev.mixprune.tokenizer.SentencePieceTokenizer;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.tokenizer.Vocabulary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenizerJsonTest {

    /** A tokenizer.json as HF's SentencePiece converter makes it: merges for every split of every piece, in score order. */
    static ObjectNode toTokenizerJson(Vocabulary v) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < 3; i++) added.addObject().put("id", i).put("content", v.sentencePiece(i)).put("special", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").put("unk_token", "<unk>").put("byte_fallback", true);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < v.size(); i++) vocab.put(v.sentencePiece(i), i);
        List<Integer> order = new ArrayList<>();
        for (int i = 3; i < v.size(); i++) order.add(i);
        order.sort((a, b) -> Float.compare(v.score(b), v.score(a)));
        ArrayNode merges = model.putArray("merges");
        java.util.Set<String> known = new java.util.HashSet<>();
        for (int i = 0; i < v.size(); i++) known.add(v.sentencePiece(i));
        for (int id : order) {
            String p = v.sentencePiece(id);
            for (int k = p.offsetByCodePoints(0, 1); k < p.length(); k = p.offsetByCodePoints(k, 1)) {
                if (known.contains(p.substring(0, k)) && known.contains(p.substring(k))) merges.addArray().add(p.substring(0, k)).add(p.substring(k));
            }
        }
        return root;
    }

    @Test
    void encodesLikeTok512(@TempDir Path tmp) throws Exception {
        Vocabulary bin = TokenizerBin.read(SharedFiles.tok512(), 512);
        Path json = tmp.resolve("tokenizer.json");
        new ObjectMapper().writeValue(json.toFile(), toTokenizerJson(bin));
        Vocabulary j = ((SentencePieceTokenizer) TokenizerFiles.read(json, 512)).vocabulary();
        for (int i = 0; i < 512; i++) assertThat(j.pieceString(i)).isEqualTo(bin.pieceString(i));
        assertThat(j.tokenType(1)).isEqualTo(Vocabulary.TYPE_CONTROL);
        assertThat(j.tokenType(3)).isEqualTo(Vocabulary.TYPE_BYTE);
        Tokenizer a = SentencePieceTokenizer.llama2c(bin), b = SentencePieceTokenizer.llama2c(j);
        JsonNode fixture = new ObjectMapper().readTree(SharedFiles.fixtures().resolve("tokenize.json").toFile());
        for (JsonNode c : fixture.get("cases")) {
            String text = c.get("text").asText();
            assertThat(b.encodeDocument(text)).as(text).isEqualTo(a.encodeDocument(text));
        }
        Random r = new Random(1);
        String alphabet = "the quick brown fox, Lily and Tom! é中\n";
        for (int t = 0; t < 300; t++) {
            StringBuilder sb = new StringBuilder();
            for (int k = r.nextInt(40); k > 0; k--) sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
            assertThat(b.encodeDocument(sb.toString())).as(sb.toString()).isEqualTo(a.encodeDocument(sb.toString()));
        }
    }

    @Test
    void hfDirectoryFindsTokenizerJson(@TempDir Path tmp) throws Exception {
        LoadedModel m = ModelLoader.load(SharedFiles.stories260KBin(), null);
        Path dir = tmp.resolve("hf");
        ModelWriter.write(m.weights(), null, null, dir, ModelFormat.SAFETENSORS, TensorDType.F32);
        new ObjectMapper().writeValue(dir.resolve("tokenizer.json").toFile(), toTokenizerJson(((SentencePieceTokenizer) m.tokenizerOrNull()).vocabulary()));
        LoadedModel h = ModelLoader.load(dir, null);
        assertThat(h.requireTokenizer().decodeString(h.requireTokenizer().encodeDocument("Once upon a time"))).isEqualTo("Once upon a time");
    }

    @Test
    void rejectsOtherModelsAndMismatch(@TempDir Path tmp) throws Exception {
        Vocabulary bin = TokenizerBin.read(SharedFiles.tok512(), 512);
        ObjectNode root = toTokenizerJson(bin);
        Path json = tmp.resolve("tokenizer.json");
        new ObjectMapper().writeValue(json.toFile(), root);
        assertThatThrownBy(() -> TokenizerFiles.read(json, 600)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("tokenizer.json").hasMessageContaining("512 pieces but the model's vocabulary has 600");
        ((ObjectNode) root.get("model")).put("type", "WordPiece");
        new ObjectMapper().writeValue(json.toFile(), root);
        assertThatThrownBy(() -> TokenizerFiles.read(json, 512)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("tokenizer.json").hasMessageContaining("field model.type: \"WordPiece\" is not supported");
    }
}
