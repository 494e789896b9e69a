package dev.mixprune.model;

import dev.mixprune.tensor.Matrix;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Random shapes: the fast batched forward, the KV-cache decoder and the double reference agree. */
class ForwardPropertyTest {
    @Property(tries = 25)
    void fastForwardAndDecoderMatchTheReference(@ForAll @IntRange(min = 1, max = 4) int kvHeads,
                                                @ForAll @IntRange(min = 1, max = 3) int repeat,
                                                @ForAll @IntRange(min = 1, max = 9) int halfHead,
                                                @ForAll @IntRange(min = 1, max = 50) int hidden,
                                                @ForAll @IntRange(min = 3, max = 40) int vocab,
                                                @ForAll @IntRange(min = 1, max = 21) int len,
                                                @ForAll @IntRange(min = 1, max = 3) int nSeq,
                                                @ForAll boolean shared,
                                                @ForAll long seed) {
        int heads = kvHeads * repeat, hs = 2 * halfHead;
        LlamaConfig c = new LlamaConfig(heads * hs, hidden, 2, heads, kvHeads, vocab, 32, 1e-5f, 10000f, shared);
        LlamaWeights w = RandomModels.random(c, seed);
        Random r = new Random(seed);
        List<int[]> seqs = new ArrayList<>();
        for (int s = 0; s < nSeq; s++) seqs.add(RandomModels.randomTokens(r, len, vocab));
        List<Matrix> fast = LlamaForward.logitsBatch(w, seqs);
        for (int s = 0; s < nSeq; s++) {
            double[][] ref = ReferenceForward.logits(w, seqs.get(s));
            Matrix dec = Generator.decodeAll(w, seqs.get(s));
            for (int t = 0; t < len; t++) {
                for (int j = 0; j < vocab; j++) {
                    // float32 against double. Random tiny models can be ill-conditioned at a position
                    // (dim 2, hidden 45, seed 8077: both the batched forward and the decoder are off by
                    // ~1e-4 at position 3 and by ~3e-7 elsewhere), so the bound is 5e-4, relative above
                    // 1; a wrong RoPE, mask or cache index gives errors of order 0.1-1.
                    double tol = 5e-4 * Math.max(1, Math.abs(ref[t][j]));
                    assertThat(Math.abs(fast.get(s).get(t, j) - ref[t][j])).as("%s seq %d pos %d id %d ref %g", c, s, t, j, ref[t][j]).isLessThan(tol);
                    assertThat(Math.abs(dec.get(t, j) - ref[t][j])).as("decode %s seq %d pos %d id %d ref %g", c, s, t, j, ref[t][j]).isLessThan(tol);
                }
            }
        }
    }
}
