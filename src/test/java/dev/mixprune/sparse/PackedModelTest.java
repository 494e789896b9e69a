package dev.mixprune.sparse;

import dev.mixprune.BadInputException;
import dev.mixprune.SharedFiles;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.PackedGguf;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.TensorDType;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.Generator;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaForward;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.Sampler;
import dev.mixprune.tensor.LinearWeight;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Packed models: pack, write, read back, and run; always against the dense-masked model. */
class PackedModelTest {
    /** llama2.c's stop rule: BOS (1) or EOS (2) ends the text. */
    static final java.util.function.IntPredicate STOP = id -> id == 1 || id == 2;

    static LoadedModel stories;

    @BeforeAll
    static void load() throws Exception {
        stories = ModelLoader.load(SharedFiles.require(SharedFiles.stories260KGguf()), null);
    }

    /** Every linear magnitude-pruned to 2:8. */
    static LlamaWeights uniform(int n, int m) {
        LlamaWeights w = stories.weights().copy();
        for (LayerId id : LayerId.all(w.config())) w.block(id.block()).setLinear(id.kind(), NmMasks.magnitude(w.linear(id), n, m));
        return w;
    }

    /** Each layer its own N (1..7 of 8), one layer left dense, averaging about 50% sparsity. */
    static LlamaWeights mixed() {
        LlamaWeights w = stories.weights().copy();
        int i = 0;
        for (LayerId id : LayerId.all(w.config())) {
            int n = 1 + (i++ * 3) % 7;
            if (id.block() == 1 && id.kind() == LayerKind.WO) continue; // stays dense
            w.block(id.block()).setLinear(id.kind(), NmMasks.magnitude(w.linear(id), n, 8));
        }
        return w;
    }

    static void assertSameWeights(LlamaWeights got, LlamaWeights want) {
        for (LayerId id : LayerId.all(want.config())) assertThat(got.linear(id).data()).as(id.name()).isEqualTo(want.linear(id).data());
        assertThat(got.tokenEmbedding().data()).isEqualTo(want.tokenEmbedding().data());
        assertThat(got.finalNorm()).isEqualTo(want.finalNorm());
        for (int l = 0; l < want.config().nLayers(); l++) {
            assertThat(got.block(l).attNorm()).isEqualTo(want.block(l).attNorm());
            assertThat(got.block(l).ffnNorm()).isEqualTo(want.block(l).ffnNorm());
        }
    }

    @Test
    void packPicksTheSmallestNPerLayerAndLeavesDenseLayersDense() {
        LlamaWeights dense = mixed();
        LlamaWeights packed = dense.pack(8);
        int i = 0;
        for (LayerId id : LayerId.all(dense.config())) {
            int n = 1 + (i++ * 3) % 7;
            LinearWeight w = packed.weight(id);
            if (id.block() == 1 && id.kind() == LayerKind.WO) {
                assertThat(w).isInstanceOf(Matrix.class);
            } else {
                assertThat(w).as(id.name()).isInstanceOf(PackedNM.class);
                assertThat(((PackedNM) w).n()).as(id.name()).isEqualTo(n);
            }
        }
        assertThat(packed.isPacked()).isTrue();
        assertThatThrownBy(() -> packed.linear(LayerId.all(dense.config()).get(0)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("blk.0.wq is packed").hasMessageContaining("unpack first");
        assertSameWeights(packed.unpack(), dense);
    }

    @Test
    void packedGgufRoundTripsBitForBitWithF32Values(@TempDir Path dir) throws Exception {
        for (LlamaWeights dense : new LlamaWeights[]{uniform(2, 8), mixed(), uniform(2, 4)}) {
            Path f = dir.resolve("packed.gguf");
            PackedGguf.write(f, dense.pack(8), stories.tokenizerOrNull(), Map.of(), TensorDType.F32);
            LoadedModel back = ModelLoader.load(f, null);
            assertThat(back.weights().isPacked()).isTrue();
            assertThat(back.tokenizer()).isPresent();
            assertSameWeights(back.weights().unpack(), dense);
            // The packed file is really smaller than the dense one.
            Path d = dir.resolve("dense.gguf");
            ModelWriter.write(dense, stories.tokenizerOrNull(), Map.of(), d, ModelFormat.GGUF, TensorDType.F32);
            assertThat(Files.size(f)).isLessThan(Files.size(d));
        }
    }

    @Test
    void f16ValuesRoundTripToTheF16RoundedWeights(@TempDir Path dir) throws Exception {
        LlamaWeights dense = uniform(2, 8);
        Path f = dir.resolve("packed16.gguf");
        PackedGguf.write(f, dense.pack(8), stories.tokenizerOrNull(), Map.of(), TensorDType.F16);
        LlamaWeights back = ModelLoader.load(f, null).weights().unpack();
        for (LayerId id : LayerId.all(dense.config())) {
            float[] want = dense.linear(id).data().clone();
            for (int i = 0; i < want.length; i++) want[i] = Float.float16ToFloat(Float.floatToFloat16(want[i]));
            assertThat(back.linear(id).data()).as(id.name()).isEqualTo(want);
        }
    }

    @Test
    void bitPackedIndicesRoundTripForEveryGroupSize() {
        for (int m : new int[]{2, 3, 4, 5, 8, 16, 17, 128}) {
            for (int n = 1; n <= Math.min(m, 5); n++) {
                Matrix w = SparseKernelsTest.randomNM(7, 3 * m + 1, n, m, 31L * m + n);
                PackedNM p = PackedNM.pack(w, n, m);
                byte[] bits = PackedGguf.packIndices(p);
                assertThat(bits.length).isEqualTo(7 * PackedGguf.indexRowBytes(p.slotsPerRow(), p.indexBits()));
                // Decode by hand: slot s of row r at bits s*b.. of the row.
                int b = p.indexBits(), rb = PackedGguf.indexRowBytes(p.slotsPerRow(), b);
                for (int r = 0; r < 7; r++) {
                    for (int s = 0; s < p.slotsPerRow(); s++) {
                        int v = 0;
                        for (int k = 0; k < b; k++) {
                            int bit = s * b + k;
                            v |= ((bits[r * rb + bit / 8] >> (bit % 8)) & 1) << k;
                        }
                        assertThat(v).isEqualTo(p.index()[r * p.slotsPerRow() + s]);
                    }
                }
            }
        }
    }

    static String greedy(LlamaWeights w, Tokenizer t, int steps) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Generator(w, steps).generate(new int[]{1}, steps, Sampler.greedy(), STOP, (prev, next) -> out.writeBytes(t.decodeBytes(prev, next)));
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void packedModelsGenerateAndScoreLikeTheDenseMaskedModel(@TempDir Path dir) throws Exception {
        Tokenizer tok = stories.requireTokenizer();
        SplittableRandom rnd = new SplittableRandom(3);
        int[][] windows = new int[3][100];
        for (int[] win : windows) for (int i = 0; i < win.length; i++) win[i] = i == 0 ? 1 : 3 + rnd.nextInt(500);
        for (LlamaWeights dense : new LlamaWeights[]{uniform(2, 8), mixed()}) {
            Path f = dir.resolve("p.gguf");
            PackedGguf.write(f, dense.pack(8), stories.tokenizerOrNull(), Map.of(), TensorDType.F32);
            LlamaWeights packed = ModelLoader.load(f, null).weights();
            // Batched forward (ppl / eval path).
            Matrix want = LlamaForward.logits(dense, windows), got = LlamaForward.logits(packed, windows);
            assertThat(maxAbsDiff(got, want)).isLessThan(1e-4);
            // KV-cache decoding (generate path).
            Matrix wantDec = Generator.decodeAll(dense, windows[0]), gotDec = Generator.decodeAll(packed, windows[0]);
            assertThat(maxAbsDiff(gotDec, wantDec)).isLessThan(1e-4);
            assertThat(greedy(packed, tok, 200)).isEqualTo(greedy(dense, tok, 200)).isNotBlank();
        }
    }

    static double maxAbsDiff(Matrix a, Matrix b) {
        assertThat(a.rows()).isEqualTo(b.rows());
        double d = 0;
        for (int i = 0; i < a.size(); i++) d = Math.max(d, Math.abs(a.data()[i] - b.data()[i]));
        return d;
    }

    @Test
    void corruptPackedFilesAreRejectedWithTheTensorNamed(@TempDir Path dir) throws Exception {
        LlamaWeights packed = uniform(2, 8).pack(8);
        Path f = dir.resolve("p.gguf");
        PackedGguf.write(f, packed, stories.tokenizerOrNull(), Map.of(), TensorDType.F32);
        byte[] bytes = Files.readAllBytes(f);
        // Declared 3:8 instead of 2:8: the value tensor's shape no longer matches.
        Path lie = dir.resolve("lie.gguf");
        Files.write(lie, replaceOnce(bytes, "\"2:8\"", "2:8", "3:8"));
        assertThatThrownBy(() -> ModelLoader.load(lie, null)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("nm_values").hasMessageContaining("expected [");
        // An index that addresses beyond the short tail group of w2 (172 inputs = 21 groups of 8 + 4).
        PackedNM w2 = (PackedNM) packed.block(0).weight(LayerKind.W2);
        byte[] idx = w2.index().clone();
        idx[w2.slotsPerRow() - 1] = 6;
        LlamaWeights bad = packed.unpack().pack(8);
        bad.block(0).setWeight(LayerKind.W2, new PackedNM(w2.rows(), w2.cols(), w2.n(), w2.m(), w2.values(), idx));
        Path badFile = dir.resolve("bad.gguf");
        PackedGguf.write(badFile, bad, stories.tokenizerOrNull(), Map.of(), TensorDType.F32);
        assertThatThrownBy(() -> ModelLoader.load(badFile, null)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("blk.0.ffn_down.nm_index").hasMessageContaining("row 0 slot " + (w2.slotsPerRow() - 1))
                .hasMessageContaining("outside group 21 of 4 inputs");
    }

    /** Replaces the first occurrence of ascii {@code from} by {@code to} (same length). */
    static byte[] replaceOnce(byte[] b, String what, String from, String to) {
        byte[] f = from.getBytes(), t = to.getBytes();
        for (int i = 0; i + f.length <= b.length; i++) {
            if (java.util.Arrays.equals(b, i, i + f.length, f, 0, f.length)) {
                byte[] out = b.clone();
                System.arraycopy(t, 0, out, i, t.length);
                return out;
            }
        }
        throw new AssertionError(what + " not found");
    }

    @Test
    void blockCopySharesPackedWeights() {
        LlamaWeights packed = uniform(2, 8).pack(8);
        BlockWeights c = packed.block(0).copy();
        assertThat(c.weight(LayerKind.W1)).isSameAs(packed.block(0).weight(LayerKind.W1));
    }
}
