package dev.mixprune.cli;

import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.TensorDType;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tokenizer.ReferenceCorpus;
import dev.mixprune.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Generation stops on the tokenizer's own end-of-generation tokens: a model with the Llama 3
 * vocabulary built so that greedy decoding says " world" after any token and {@code <|eot_id|>}
 * (an end-of-turn token, not Llama 3's EOS) after " world".
 */
class GenerateStopTest {

    @Test
    void llama3StopsAtEotId(@TempDir Path tmp) throws Exception {
        Tokenizer tok = ReferenceCorpus.tokenizer(ReferenceCorpus.LLAMA3);
        int world = tok.encode(" world")[0], eot = tok.encode("<|eot_id|>")[0];
        assertThat(eot).isEqualTo(128_009);
        assertThat(tok.specialTokens().eos()).isNotEqualTo(eot);
        Path gguf = tmp.resolve("stop.gguf");
        ModelWriter.write(model(tok.size(), world, eot), tok, Map.of(), gguf, ModelFormat.GGUF, TensorDType.F32);

        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new GenerateCommand(new PrintStream(out), new PrintStream(err)));
        cl.setExecutionExceptionHandler(new ErrorHandler());
        int code = cl.execute("--model", gguf.toString(), "--prompt", "Hello", "-n", "30", "-q");
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("Hello world\n");
    }

    /**
     * One block of zeros (the residual stream carries the token's embedding to the head unchanged);
     * every embedding row is e0 except " world"'s, e1; the classifier scores " world" on e0 and
     * {@code <|eot_id|>} on e1, every other token 0.
     */
    private static LlamaWeights model(int vocab, int world, int eot) {
        int dim = 8;
        LlamaConfig c = new LlamaConfig(dim, 16, 1, 2, 2, vocab, 64, 1e-5f, 10000f, false);
        float[] emb = new float[vocab * dim], cls = new float[vocab * dim];
        for (int t = 0; t < vocab; t++) emb[t * dim + (t == world ? 1 : 0)] = 1;
        cls[world * dim] = 1;
        cls[eot * dim + 1] = 1;
        EnumMap<LayerKind, Matrix> lin = new EnumMap<>(LayerKind.class);
        for (LayerKind k : LayerKind.values()) lin.put(k, new Matrix(c.rowsOf(k), c.colsOf(k)));
        float[] ones = new float[dim];
        Arrays.fill(ones, 1);
        return new LlamaWeights(c, new Matrix(vocab, dim, emb), List.of(new BlockWeights(ones, ones, lin)), ones, new Matrix(vocab, dim, cls));
    }
}
