package dev.mixprune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.TensorDType;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class InspectCommandTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new InspectCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler(new ErrorHandler());
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void textReportOfTheGguf() {
        Run r = run("--model", SharedFiles.stories260KGguf().toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("format     GGUF").contains("dim 64, hidden 172, layers 5, heads 8, kv heads 4")
                .contains("seq_len 2048").contains("260,032 total, 226,560 prunable")
                .contains("blk.0.attn_q.weight").contains("F32    [64, 64]").contains("blk.4.w3").contains("tokenizer  sentencepiece-bpe, 512 tokens, BOS 1 \"<s>\" (added to documents), EOS 2 \"</s>\"")
                .contains("overall sparsity of the prunable set: 0.000000");
    }

    @Test
    void jsonReportCountsZerosOfAPrunedModel(@TempDir Path tmp) throws Exception {
        LoadedModel m = ModelLoader.load(SharedFiles.stories260KBin(), null);
        LlamaWeights w = m.weights().copy();
        // Zero the first half of blk.2.w2 (11,008 weights) and exactly 100 weights of blk.0.wq.
        float[] w2 = w.block(2).linear(LayerKind.W2).data();
        for (int i = 0; i < w2.length / 2; i++) w2[i] = 0f;
        float[] wq = w.block(0).wq().data();
        for (int i = 0; i < 100; i++) wq[i * 7] = 0f;
        Path out = tmp.resolve("hf");
        ModelWriter.write(w, m.tokenizerOrNull(), m.metadata(), out, ModelFormat.SAFETENSORS, TensorDType.F32);
        Run r = run("--model", out.toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("format").asText()).isEqualTo("safetensors");
        assertThat(j.get("parameters").get("total").asLong()).isEqualTo(260_032);
        assertThat(j.get("tensors").size()).isEqualTo(1 + 5 * 9 + 1);
        assertThat(j.get("tensors").get(0).get("name").asText()).isEqualTo("model.embed_tokens.weight");
        assertThat(j.get("tensors").get(0).get("shape").toString()).isEqualTo("[512,64]");
        JsonNode layers = j.get("layers");
        assertThat(layers.size()).isEqualTo(35);
        assertThat(layers.get(0).get("name").asText()).isEqualTo("blk.0.wq");
        assertThat(layers.get(0).get("zeros").asLong()).isEqualTo(100);
        assertThat(layers.get(2 * 7 + 5).get("name").asText()).isEqualTo("blk.2.w2");
        assertThat(layers.get(2 * 7 + 5).get("sparsity").asDouble()).isEqualTo(0.5);
        assertThat(j.get("zeros").asLong()).isEqualTo(100 + 11_008 / 2);
        assertThat(j.get("sparsity").asDouble()).isCloseTo((100 + 5504) / 226_560.0, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void binListsLlama2cTensors() {
        Run r = run("--model", SharedFiles.stories260KBin().toString(), "--json");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("\"layers.4.feed_forward.w3.weight\"").contains("\"format\":\"bin\"").contains("\"shared_classifier\":true");
    }

    @Test
    void badInputExitsWithCode3AndNamesTheFile(@TempDir Path tmp) throws Exception {
        Path bad = tmp.resolve("broken.gguf");
        java.nio.file.Files.write(bad, new byte[]{'G', 'G', 'U', 'F', 3, 0, 0, 0});
        Run r = run("--model", bad.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("broken.gguf").contains("header");
    }

    @Test
    void quantizedGgufShowsItsHeaderWithoutSparsity(@TempDir Path tmp) throws Exception {
        // Retype blk.0.attn_q.weight ([64, 64]) as Q4_1 (read: Q4_0 is), the data section re-laid out for its size.
        byte[] b = dev.mixprune.io.GgufRetype.retype(SharedFiles.stories260KGguf(), "blk.0.attn_q.weight", dev.mixprune.io.GgmlType.Q4_1).bytes();
        Path q = tmp.resolve("q4.gguf");
        java.nio.file.Files.write(q, b);
        Run r = run("--model", q.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("dim 64, hidden 172").contains("Q4_1   [64, 64]").contains("1 tensors have types this project cannot dequantize (first: blk.0.attn_q.weight Q4_1)");
        JsonNode j = new ObjectMapper().readTree(run("--model", q.toString(), "--json").out());
        assertThat(j.get("layers").isNull()).isTrue();
        assertThat(j.get("weights_note").asText()).contains("sparsity unknown");
    }
}
