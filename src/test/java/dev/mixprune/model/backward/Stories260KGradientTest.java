package dev.mixprune.model.backward;

import dev.mixprune.tokenizer.SentencePieceTokenizer;
import dev.mixprune.io.ModelLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.Llama2cBin;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.io.TokenizerBin;
import dev.mixprune.model.LlamaWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The real stories260K: forward against the float64 fixture, gradients against finite differences. */
class Stories260KGradientTest {
    static LlamaWeights weights;
    static ParamSet params;
    static JsonNode logitsFixture;

    @BeforeAll
    static void load() throws Exception {
        weights = ModelLoader.loadWeights(SharedFiles.require(SharedFiles.stories260KBin()));
        params = ParamSet.of(weights);
        logitsFixture = new ObjectMapper().readTree(Files.readAllBytes(SharedFiles.fixtures().resolve("logits.json")));
    }

    static int[] fixtureIds() {
        JsonNode ids = logitsFixture.get("ids");
        int[] t = new int[ids.size()];
        for (int i = 0; i < t.length; i++) t[i] = ids.get(i).asInt();
        return t;
    }

    @Test
    void lossAndLogProbsMatchTheFloat64Fixture() {
        int[] ids = fixtureIds();
        Tape tape = new Tape(params.config(), ids.length);
        double loss = TrainingForward.forward(params, ids, tape);
        assertThat(loss).isCloseTo(logitsFixture.get("mean_nll_63_predictions").asDouble(), within(1e-9));
        assertThat(PositionwiseForward.loss(params, ids)).isCloseTo(loss, within(1e-12));
        int V = params.config().vocabSize();
        for (int pos : new int[]{0, 1, 31}) {
            JsonNode lg = logitsFixture.get("logits").get(String.valueOf(pos));
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < V; j++) max = Math.max(max, lg.get(j).asDouble());
            for (int j = 0; j < V; j++) sum += Math.exp(lg.get(j).asDouble() - max);
            for (int j = 0; j < V; j++) {
                double expected = lg.get(j).asDouble() - max - Math.log(sum);
                assertThat(Math.log(tape.probs[pos * V + j])).as("log p[%d][%d]", pos, j).isCloseTo(expected, within(1e-9));
            }
        }
    }

    @Test
    void sampledCoordinatesOfEveryTensorTypeMatchFiniteDifferences() throws Exception {
        // 32 tokens of the valid text, tokenized here (protocol T) rather than taken from the fixture
        Tokenizer tok = SentencePieceTokenizer.llama2c(TokenizerBin.read(SharedFiles.tok512(), weights.config().vocabSize()));
        String text = Files.readString(SharedFiles.tinyStoriesValid());
        String firstDoc = text.split("\\n\\s*\\n", 2)[0].strip();
        int[] tokens = Arrays.copyOf(tok.encodeDocument(firstDoc), 32);
        assertThat(tokens).containsExactly(Arrays.copyOf(fixtureIds(), 32));

        Gradients.Result r = Gradients.of(params, tokens);
        Random rnd = new Random(7);
        // every tensor type in the first and last block, the embedding and the final norm
        FiniteDifferenceCheck check = FiniteDifferenceCheck.run(params, r.gradient(), tokens, TrainingForwardLoss.INSTANCE,
                name -> !name.startsWith("blk.") || name.startsWith("blk.0.") || name.startsWith("blk.4."), g -> sample(g, rnd));
        System.out.printf("stories260K gradient check: %d sampled coordinates, worst relative error %.3e%n", check.checked(), check.worstRel);
        assertThat(check.failures).isEmpty();
        assertThat(check.checked()).isGreaterThan(100);
    }

    /** Every coordinate of every norm gain and of blk.4.wk (about 2,750 coordinates, ~1 minute). */
    @org.junit.jupiter.api.Tag("slow")
    @Test
    void allCoordinatesOfTheNormsAndOneLinearMatchFiniteDifferences() {
        int[] tokens = Arrays.copyOf(fixtureIds(), 32);
        Gradients.Result r = Gradients.of(params, tokens);
        FiniteDifferenceCheck check = FiniteDifferenceCheck.run(params, r.gradient(), tokens, TrainingForwardLoss.INSTANCE,
                name -> name.endsWith("norm") || name.equals("blk.4.wk"), FiniteDifferenceCheck::all);
        System.out.printf("stories260K full-tensor gradient check: %d coordinates, worst relative error %.3e%n", check.checked(), check.worstRel);
        assertThat(check.failures).isEmpty();
        assertThat(check.checked()).isGreaterThan(2700);
    }

    /** The 3 largest-magnitude coordinates plus 3 random ones. */
    static int[] sample(double[] g, Random rnd) {
        Integer[] idx = new Integer[g.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (x, y) -> Double.compare(Math.abs(g[y]), Math.abs(g[x])));
        int top = Math.min(3, g.length);
        int[] out = new int[top + 3];
        for (int i = 0; i < top; i++) out[i] = idx[i];
        for (int i = 0; i < 3; i++) out[top + i] = rnd.nextInt(g.length);
        return out;
    }

    /** Finite differences of the batched training forward (the real model is too slow for the naive one). */
    enum TrainingForwardLoss implements GradientCheckTest.LossFunction {
        INSTANCE;
        private Tape tape;
        @Override public double loss(ParamSet p, int[] tokens) {
            if (tape == null || tape.capacity() < tokens.length) tape = new Tape(p.config(), tokens.length);
            return TrainingForward.forward(p, tokens, tape);
        }
    }
}
