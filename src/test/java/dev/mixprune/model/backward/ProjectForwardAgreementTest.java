package dev.mixprune.model.backward;

import dev.mixprune.io.ModelLoader;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.Llama2cBin;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.ReferenceForward;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The training forward agrees with the project's own double reference forward (model.ReferenceForward). */
class ProjectForwardAgreementTest {

    static double meanNll(double[][] logits, int[] tokens) {
        double nll = 0;
        for (int t = 0; t + 1 < tokens.length; t++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (double v : logits[t]) max = Math.max(max, v);
            for (double v : logits[t]) sum += Math.exp(v - max);
            nll += max + Math.log(sum) - logits[t][tokens[t + 1]];
        }
        return nll / (tokens.length - 1);
    }

    static void check(LlamaWeights w, int[] tokens) {
        Tape tape = new Tape(w.config(), tokens.length);
        double loss = TrainingForward.forward(ParamSet.of(w), tokens, tape);
        double[][] logits = ReferenceForward.logits(w, tokens);
        assertThat(loss).isCloseTo(meanNll(logits, tokens), within(1e-9));
        int V = w.config().vocabSize();
        for (int t = 0; t + 1 < tokens.length; t += 7) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (double v : logits[t]) max = Math.max(max, v);
            for (double v : logits[t]) sum += Math.exp(v - max);
            for (int j = 0; j < V; j++) {
                assertThat(tape.probs[t * V + j]).isCloseTo(Math.exp(logits[t][j] - max) / sum, within(1e-10));
            }
        }
    }

    @Test
    void stories260K() throws Exception {
        LlamaWeights w = ModelLoader.loadWeights(SharedFiles.require(SharedFiles.stories260KBin()));
        int[] tokens = TestModels.tokens(w.config(), 48, 9);
        check(w, tokens);
    }

    @Test
    void tinyModels() {
        for (LlamaConfig c : new LlamaConfig[]{TestModels.sharedGqa(), TestModels.unsharedGqa(), TestModels.multiHead()}) {
            check(TestModels.random(c, 21), TestModels.tokens(c, 13, 4));
        }
    }
}
