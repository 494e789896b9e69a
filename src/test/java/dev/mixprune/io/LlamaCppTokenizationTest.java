package dev.mixprune.io;

import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tokenizer.ByteLevelBpeTokenizer;
import dev.mixprune.tokenizer.ByteLevelReferenceTest;
import dev.mixprune.tokenizer.NodeReferences;
import dev.mixprune.tokenizer.ReferenceCorpus;
import dev.mixprune.tokenizer.ReferenceInputs;
import dev.mixprune.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acceptance 1 (issue 10), llama.cpp: tiny random models carrying the genuine Llama 3 and Qwen3
 * vocabularies are written as GGUF by our writer; llama.cpp (node-llama-cpp, the GGUF's vocabulary)
 * tokenizes every text of {@link ReferenceInputs} as our tokenizer does, and our tokenizer read back
 * from the GGUF equals the one read from tokenizer.json.
 *
 * <p>llama.cpp implements no normalizer: Qwen's tokenizer.json declares NFC, so llama.cpp gets the
 * NFC form of each text (what the model was trained on); our GGUF reader applies NFC for
 * {@code pre = qwen2}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LlamaCppTokenizationTest {
    /** @param texts what this vocabulary is compared on; {@code ours} their ids from tokenizer.json */
    record Vocab(String name, Tokenizer hf, Tokenizer gguf, Path file, Map<String, GgufValue> meta, List<String> texts, int[][] ours,
                 List<String> llamaCppTexts, int[][] llamaCpp) { }

    private ReferenceInputs inputs;
    private Vocab llama3, qwen3, smol;

    @BeforeAll
    void writeGgufsAndTokenizeWithLlamaCpp(@TempDir Path work) throws Exception {
        inputs = ReferenceCorpus.inputs();
        llama3 = export(ReferenceCorpus.LLAMA3, 128_256, work);
        qwen3 = export(ReferenceCorpus.QWEN3, 151_936, work); // Qwen3's embedding has 151,936 rows for 151,669 tokens
        smol = export(ReferenceCorpus.SMOL, 128_256, work);
        List<int[][]> ref = NodeReferences.run(List.of(NodeReferences.Job.llamaCpp(llama3.file(), llama3.llamaCppTexts()),
                NodeReferences.Job.llamaCpp(qwen3.file(), qwen3.llamaCppTexts()), NodeReferences.Job.llamaCpp(smol.file(), smol.llamaCppTexts())), work);
        llama3 = withResult(llama3, ref.get(0));
        qwen3 = withResult(qwen3, ref.get(1));
        smol = withResult(smol, ref.get(2));
    }

    private static Vocab withResult(Vocab v, int[][] ids) {
        return new Vocab(v.name(), v.hf(), v.gguf(), v.file(), v.meta(), v.texts(), v.ours(), v.llamaCppTexts(), ids);
    }

    /**
     * A 1-layer dim-8 random model with the vocabulary, written as GGUF, and the tokenizer read back
     * from it. llama.cpp gets the NFC form of the texts for Qwen (it has no normalizer).
     */
    private static Vocab export(String name, int rows, Path work) throws Exception {
        Tokenizer hf = ReferenceCorpus.tokenizer(name);
        List<String> texts = ReferenceCorpus.texts(name);
        List<String> llamaCppTexts = name.equals(ReferenceCorpus.QWEN3)
                ? texts.stream().map(s -> Normalizer.normalize(s, Normalizer.Form.NFC)).toList() : texts;
        LlamaWeights w = TinyModels.random(new LlamaConfig(8, 16, 1, 2, 2, rows, 64, 1e-5f, 10000f, true), 7);
        Path file = work.resolve(name + ".gguf");
        ModelWriter.write(w, hf, Map.of(), file, ModelFormat.GGUF, TensorDType.F32);
        try (GgufFile f = GgufFile.open(file)) {
            return new Vocab(name, hf, GgufVocabulary.read(f, rows).orElseThrow(), file, f.metadata(), texts, ReferenceCorpus.ours(name), llamaCppTexts, null);
        }
    }

    @Test
    void llamaCppTokenizesOurLlama3GgufAsWeDo() { compare(llama3); }

    @Test
    void llamaCppTokenizesOurQwen3GgufAsWeDo() { compare(qwen3); }

    @Test
    void llamaCppTokenizesASmolLmStyleGgufAsWeDo() {
        assertThat(smol.meta().get("tokenizer.ggml.pre").asString()).isEqualTo("smollm");
        compare(smol);
    }

    private void compare(Vocab v) {
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < v.llamaCpp().length; i++) {
            int[] ours = v.ours()[i];
            if (!Arrays.equals(ours, v.llamaCpp()[i]) && mismatches.size() < 20) {
                mismatches.add((v == smol ? "text " + i : inputs.label(i)) + " " + ByteLevelReferenceTest.escape(v.llamaCppTexts().get(i)) + "\n  ours      " + Arrays.toString(ours)
                        + "\n  llama.cpp " + Arrays.toString(v.llamaCpp()[i]));
            }
        }
        System.out.printf("%s GGUF: %d texts compared with llama.cpp, %d mismatches%n", v.name(), v.llamaCpp().length, mismatches.size());
        assertThat(mismatches).as(v.name() + " mismatches against llama.cpp").isEmpty();
    }

    @Test
    void theGgufTokenizerEqualsTheTokenizerJsonOne() {
        for (Vocab v : List.of(llama3, qwen3, smol)) {
            assertThat(v.gguf().specialTokens()).as(v.name()).isEqualTo(v.hf().specialTokens());
            for (int i = 0; i < v.texts().size(); i++) {
                assertThat(v.gguf().encode(v.texts().get(i))).as(v.name() + " text " + i).isEqualTo(v.ours()[i]);
            }
        }
    }

    /** A tokenizer read from a GGUF has no files of its own; HF output writes tokenizer.json + tokenizer_config.json for it. */
    @Test
    void hfFilesWrittenForTheGgufTokenizerReadBackTheSame(@TempDir Path dir) throws Exception {
        for (Vocab v : List.of(llama3, qwen3)) {
            Path out = java.nio.file.Files.createDirectories(dir.resolve(v.name()));
            HfTokenizerFiles.write(v.gguf(), out);
            Tokenizer back = TokenizerFiles.inHfDirectory(out, v.gguf().size()).orElseThrow();
            assertThat(back.specialTokens()).as(v.name()).isEqualTo(v.hf().specialTokens());
            assertThat(((ByteLevelBpeTokenizer) back).llamaCppPre()).isEqualTo(((ByteLevelBpeTokenizer) v.hf()).llamaCppPre());
            for (int i = 0; i < v.texts().size(); i += 3) assertThat(back.encode(v.texts().get(i))).as(v.name() + " text " + i).isEqualTo(v.ours()[i]);
        }
    }

    @Test
    void metadataIsWhatLlamaCppsConverterWrites() {
        assertThat(llama3.meta().get("tokenizer.ggml.model").asString()).isEqualTo("gpt2");
        assertThat(llama3.meta().get("tokenizer.ggml.pre").asString()).isEqualTo("llama-bpe");
        assertThat(qwen3.meta().get("tokenizer.ggml.pre").asString()).isEqualTo("qwen2");
        assertThat(llama3.meta().get("tokenizer.ggml.bos_token_id").asLong()).isEqualTo(128_000);
        assertThat(llama3.meta().get("tokenizer.ggml.eos_token_id").asLong()).isEqualTo(128_001);
        assertThat(llama3.meta().get("tokenizer.ggml.add_bos_token").value()).isEqualTo(true);
        assertThat(qwen3.meta().get("tokenizer.ggml.add_bos_token").value()).isEqualTo(false);
        assertThat(qwen3.meta().get("tokenizer.ggml.eos_token_id").asLong()).isEqualTo(151_645);
        assertThat(qwen3.meta().get("tokenizer.ggml.padding_token_id").asLong()).isEqualTo(151_643);
        assertThat(qwen3.meta()).doesNotContainKey("tokenizer.ggml.bos_token_id");
        GgufValue.Array tokens = qwen3.meta().get("tokenizer.ggml.tokens").asArray(), types = qwen3.meta().get("tokenizer.ggml.token_type").asArray();
        assertThat(tokens.length()).isEqualTo(151_936);
        assertThat(types.elementType()).isEqualTo(GgufValueType.INT32);
        String[] t = (String[]) tokens.values();
        long[] ty = (long[]) types.values();
        assertThat(t[0]).isEqualTo("!");
        assertThat(t[151_643]).isEqualTo("<|endoftext|>");
        assertThat(ty[151_643]).as("special: control").isEqualTo(3);
        assertThat(t[151_657]).isEqualTo("<tool_call>");
        assertThat(ty[151_657]).as("added, not special: user-defined").isEqualTo(4);
        assertThat(t[151_669]).isEqualTo("[PAD151669]");
        assertThat(ty[151_669]).as("padding row: unused").isEqualTo(5);
        String[] merges = (String[]) llama3.meta().get("tokenizer.ggml.merges").asArray().values();
        assertThat(merges).hasSize(280_147);
        assertThat(merges[0]).isEqualTo("\u0120 \u0120");
        assertThat(((ByteLevelBpeTokenizer) qwen3.hf()).merges()).hasSize(151_387);
    }
}
