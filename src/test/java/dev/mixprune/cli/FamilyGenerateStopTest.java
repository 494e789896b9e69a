package dev.mixprune.cli;

import dev.mixprune.family.FamilyModels;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tokenizer.Tokenizer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code generate} stops on each family's own end-of-generation tokens, read from the model
 * directory as a checkpoint ships them: SentencePiece {@code </s>} (Llama 2), Llama 3's
 * {@code <|eot_id|>} (an end-of-turn token, not its EOS), and Qwen's {@code <|endoftext|>}, which
 * its tokenizer_config.json does not name (its EOS there is {@code <|im_end|>}) but config.json's
 * {@code eos_token_id} does (Llama 3.0's vocabulary has no {@code <|eom_id|>}). Each model is built so that greedy decoding says " the" after any
 * token and the stop token after " the"; without the stop the text would go on to {@code -n}.
 */
class FamilyGenerateStopTest {

    @ParameterizedTest(name = "{0} stops at {1}")
    @CsvSource({"llama2, </s>, 2", "llama3, <|eot_id|>, 128001 128009", "qwen2, <|endoftext|>, 151643 151645"})
    void generationStopsOnTheFamilysOwnTokens(String family, String stopText, String endOfGeneration, @TempDir Path tmp) throws Exception {
        FamilyModels.Recipe recipe = FamilyModels.byName(family);
        Tokenizer tok = recipe.tokenizer();
        int[] ids = tok.encode(" the"); // SentencePiece: "▁" (the dummy prefix) then "▁the"
        int the = ids[ids.length - 1];
        assertThat(tok.tokenText(the)).endsWith("the");
        int stop = stopId(tok, stopText);
        Path dir = FamilyModels.writeHf(recipe, model(recipe.config().withSharedClassifier(false), the, stop), tmp.resolve(family));

        LoadedModel m = ModelLoader.load(dir, null);
        List<Integer> expected = new ArrayList<>();
        for (String id : endOfGeneration.split(" ")) expected.add(Integer.parseInt(id));
        assertThat(m.requireTokenizer().specialTokens().endOfGeneration()).as("end-of-generation ids read from " + dir).isEqualTo(expected);

        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new GenerateCommand(new PrintStream(out), new PrintStream(err)));
        cl.setExecutionExceptionHandler(new ErrorHandler());
        int code = cl.execute("--model", dir.toString(), "--prompt", "Hello", "-n", "30", "-q");
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("Hello the\n");
    }

    /** The id of a special token's text: a SentencePiece control piece is not produced by encode, so it is looked up. */
    private static int stopId(Tokenizer tok, String text) {
        for (int id = 0; id < tok.size(); id++) if (tok.tokenText(id).equals(text)) return id;
        throw new AssertionError(text + " is not in the vocabulary");
    }

    /**
     * Zero blocks (the residual stream carries the token's embedding to the head unchanged, biases
     * included: they are zero); every embedding row is e0 except " the"'s, e1; the untied classifier
     * scores " the" on e0 and the stop token on e1, every other token 0.
     */
    private static LlamaWeights model(LlamaConfig c, int the, int stop) {
        int dim = c.dim(), vocab = c.vocabSize();
        float[] emb = new float[vocab * dim], cls = new float[vocab * dim];
        for (int t = 0; t < vocab; t++) emb[t * dim + (t == the ? 1 : 0)] = 1;
        cls[the * dim] = 1;
        cls[stop * dim + 1] = 1;
        List<BlockWeights> blocks = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            EnumMap<LayerKind, Matrix> lin = new EnumMap<>(LayerKind.class);
            for (LayerKind k : LayerKind.values()) lin.put(k, new Matrix(c.rowsOf(k), c.colsOf(k)));
            EnumMap<LayerKind, float[]> bias = new EnumMap<>(LayerKind.class);
            for (LayerKind k : c.biases()) bias.put(k, new float[c.rowsOf(k)]);
            blocks.add(new BlockWeights(ones(dim), ones(dim), lin, bias, l));
        }
        return new LlamaWeights(c, new Matrix(vocab, dim, emb), blocks, ones(dim), new Matrix(vocab, dim, cls));
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1);
        return a;
    }
}
