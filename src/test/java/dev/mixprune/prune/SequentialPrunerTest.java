package dev.mixprune.prune;

import dev.mixprune.BadInputException;
import dev.mixprune.model.ActivationCapture;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.InputGroup;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.GemmReference;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The sequential loop on a small synthetic block (independent of the real forward). */
class SequentialPrunerTest {

    static final LlamaConfig CFG = new LlamaConfig(12, 22, 3, 2, 1, 40, 16, 1e-5f, 10000f, true);

    /** A toy block with the real capture contract: 4 inputs, in order, weights used as [out][in]. */
    static final BlockRunner TOY = (c, w, blockIndex, x, nSeq, seqLen, capture) -> {
        capture.capture(blockIndex, InputGroup.ATTN_IN, x);
        Matrix q = mul(x, w.wq()), v = mul(x, w.wv()), k = mul(x, w.wk());
        Matrix o = new Matrix(x.rows(), c.dim());
        for (int t = 0; t < x.rows(); t++) for (int j = 0; j < c.dim(); j++)
            o.set(t, j, (float) Math.tanh(q.get(t, j) + v.get(t, j % c.kvDim()) * k.get(t, j % c.kvDim())));
        capture.capture(blockIndex, InputGroup.ATTN_OUT, o);
        Matrix h = add(x, mul(o, w.wo()));
        capture.capture(blockIndex, InputGroup.FFN_IN, h);
        Matrix a = mul(h, w.w1()), b = mul(h, w.w3());
        Matrix mid = new Matrix(x.rows(), c.hiddenDim());
        for (int i = 0; i < mid.size(); i++) mid.data()[i] = (float) Math.tanh(a.data()[i]) * b.data()[i];
        capture.capture(blockIndex, InputGroup.FFN_MID, mid);
        return add(h, mul(mid, w.w2()));
    };

    static Matrix mul(Matrix x, Matrix w) {
        Matrix c = new Matrix(x.rows(), w.rows());
        GemmReference.nt(x, w, c, false);
        return c;
    }

    static Matrix add(Matrix a, Matrix b) {
        Matrix c = a.copy();
        for (int i = 0; i < c.size(); i++) c.data()[i] += b.data()[i];
        return c;
    }

    static LlamaWeights model(long seed) {
        Random r = new Random(seed);
        List<BlockWeights> blocks = new ArrayList<>();
        for (int b = 0; b < CFG.nLayers(); b++) {
            Map<LayerKind, Matrix> lin = new EnumMap<>(LayerKind.class);
            for (LayerKind k : LayerKind.values()) {
                Matrix m = PruneTestData.gaussian(CFG.rowsOf(k), CFG.colsOf(k), r.nextLong());
                for (int i = 0; i < m.size(); i++) m.data()[i] *= 0.3f;
                lin.put(k, m);
            }
            float[] ones = new float[CFG.dim()];
            java.util.Arrays.fill(ones, 1f);
            blocks.add(new BlockWeights(ones, ones.clone(), lin));
        }
        return new LlamaWeights(CFG, PruneTestData.gaussian(CFG.vocabSize(), CFG.dim(), seed + 1), blocks, new float[CFG.dim()], null);
    }

    static List<int[]> windows(int n, int len, long seed) {
        Random r = new Random(seed);
        List<int[]> w = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] t = new int[len];
            for (int j = 0; j < len; j++) t[j] = r.nextInt(CFG.vocabSize());
            w.add(t);
        }
        return w;
    }

    /** Records the ATTN_IN input each block sees in its statistics pass. */
    static final class Recorder {
        final Map<Integer, List<Matrix>> seen = new java.util.TreeMap<>();
        BlockRunner wrap(BlockRunner inner) {
            return (c, w, b, x, nSeq, seqLen, capture) -> inner.forward(c, w, b, x, nSeq, seqLen, (blk, g, in) -> {
                if (g == InputGroup.ATTN_IN && capture != ActivationCapture.NONE) seen.computeIfAbsent(blk, k -> new ArrayList<>()).add(in.copy());
                capture.capture(blk, g, in);
            });
        }
    }

    @Test
    void prunedPropagationFeedsTheRerunPrunedBlockAndDenseFeedsTheDenseOutput() {
        for (Propagation prop : Propagation.values()) {
            LlamaWeights dense = model(1);
            LlamaWeights w = dense.copy();
            List<int[]> win = windows(5, 7, 2);
            Recorder rec = new Recorder();
            SparsityPlan plan = SparsityPlan.uniform(CFG, new Pattern.NM(2, 4));
            new SequentialPruner(SequentialPruner.Options.of(PruneMethod.WANDA).withPropagation(prop).withChunkSequences(2),
                    rec.wrap(TOY), PruneListener.NONE).run(w, plan, win);
            // Expected input of block 1: block 0 (pruned or dense) applied to the embeddings.
            Matrix x0 = SequentialPruner.embed(dense, win, 7);
            BlockWeights b0 = prop == Propagation.PRUNED ? w.block(0) : dense.block(0);
            Matrix expected = TOY.forward(CFG, b0, 0, x0, 5, 7, ActivationCapture.NONE);
            Matrix got = concat(rec.seen.get(1));
            assertThat(got.data()).as(prop.name()).containsExactly(expected.data());
            Matrix other = TOY.forward(CFG, prop == Propagation.PRUNED ? dense.block(0) : w.block(0), 0, x0, 5, 7, ActivationCapture.NONE);
            assertThat(got.data()).isNotEqualTo(other.data());
        }
    }

    static Matrix concat(List<Matrix> parts) {
        int rows = parts.stream().mapToInt(Matrix::rows).sum();
        Matrix m = new Matrix(rows, parts.get(0).cols());
        int off = 0;
        for (Matrix p : parts) { System.arraycopy(p.data(), 0, m.data(), off, p.size()); off += p.size(); }
        return m;
    }

    @Test
    void chunkingDoesNotChangeTheResult() {
        LlamaWeights a = model(3), b = model(3);
        List<int[]> win = windows(6, 5, 4);
        SparsityPlan plan = SparsityPlan.uniform(CFG, new Pattern.Unstructured(0.55));
        new SequentialPruner(SequentialPruner.Options.of(PruneMethod.WANDA).withChunkSequences(1), TOY, null).run(a, plan, win);
        new SequentialPruner(SequentialPruner.Options.of(PruneMethod.WANDA).withChunkSequences(4), TOY, null).run(b, plan, win);
        for (LayerId id : LayerId.all(CFG)) assertThat(a.linear(id).data()).containsExactly(b.linear(id).data());
    }

    @Test
    void reportCountsZerosTimesBlocksAndReconstructionErrors() {
        LlamaWeights w = model(5);
        List<PruneResult.BlockReport> progress = new ArrayList<>();
        PruneListener l = new PruneListener() {
            @Override public void blockFinished(PruneResult.BlockReport r, int n) { progress.add(r); }
        };
        SparsityPlan plan = SparsityPlan.uniform(CFG, new Pattern.NM(1, 4));
        PruneResult res = new SequentialPruner(SequentialPruner.Options.of(PruneMethod.SPARSEGPT).withReconstructionError(true), TOY, l)
                .run(w, plan, windows(4, 9, 6));
        assertThat(progress).hasSize(CFG.nLayers());
        assertThat(res.layers()).hasSize(7 * CFG.nLayers());
        long zeros = 0;
        for (PruneResult.LayerReport r : res.layers()) {
            assertThat(r.zeros()).isEqualTo(w.linear(r.id()).countZeros());
            assertThat(r.reconstructionError()).isPositive().isFinite();
            zeros += r.zeros();
        }
        assertThat(res.overallSparsity()).isEqualTo((double) zeros / CFG.prunableTotal());
        assertThat(res.overallSparsity()).isGreaterThan(0.70);
    }

    @Test
    void magnitudeNeedsNoCalibrationData() {
        LlamaWeights w = model(7);
        BlockRunner fail = (c, bw, b, x, n, s, cap) -> { throw new AssertionError("no forward expected"); };
        PruneResult r = new SequentialPruner(SequentialPruner.Options.of(PruneMethod.MAGNITUDE), fail, null)
                .run(w, SparsityPlan.uniform(CFG, new Pattern.Unstructured(0.5)), List.of());
        assertThat(r.overallSparsity()).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void badInputsAreRejectedBeforeAnythingIsPruned() {
        LlamaWeights w = model(8);
        LlamaWeights before = w.copy();
        SequentialPruner p = new SequentialPruner(SequentialPruner.Options.of(PruneMethod.WANDA), TOY, null);
        SparsityPlan ok = SparsityPlan.uniform(CFG, new Pattern.NM(2, 4));
        assertThatThrownBy(() -> p.run(w, ok, List.of())).isInstanceOf(BadInputException.class).hasMessageContaining("no windows");
        assertThatThrownBy(() -> p.run(w, ok, List.of(new int[5], new int[4]))).isInstanceOf(BadInputException.class).hasMessageContaining("window 1");
        assertThatThrownBy(() -> p.run(w, ok, List.of(new int[]{1, 99}))).isInstanceOf(BadInputException.class).hasMessageContaining("token id 99");
        assertThatThrownBy(() -> p.run(w, ok, List.of(new int[17]))).isInstanceOf(BadInputException.class).hasMessageContaining("context length");
        LlamaConfig other = new LlamaConfig(12, 22, 2, 2, 1, 40, 16, 1e-5f, 10000f, true);
        assertThatThrownBy(() -> p.run(w, SparsityPlan.uniform(other, new Pattern.NM(2, 4)), windows(2, 3, 1)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("plan is for model");
        for (LayerId id : LayerId.all(CFG)) assertThat(w.linear(id).data()).containsExactly(before.linear(id).data());
    }
}
