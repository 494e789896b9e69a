package dev.mixprune.io;

import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaForward;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.quant.GgmlBlocks;
import dev.mixprune.quant.Q8Matrix;
import dev.mixprune.sparse.NmMasks;
import dev.mixprune.sparse.PackedNM;
import dev.mixprune.sparse.PackedNMQ8;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Q8_0 / Q4_0 GGUF written by the one GGUF writer, and read back (dense and packed with 8-bit values). */
class QuantizedGgufTest {

    /** dim 64 (whole 32-value blocks), hidden 80 (ffn_down rows of 80 are not: written F16), GQA. */
    static LlamaConfig config(boolean shared) { return new LlamaConfig(64, 80, 2, 4, 2, 300, 64, 1e-5f, 10000f, shared); }

    /** What the file must hold for a [rows][cols] weight: ggml's blocks when they fit, else F16 rounding. */
    static float[] stored(float[] x, int cols, TensorDType t) {
        float[] out = new float[x.length];
        if (cols % 32 != 0) {
            for (int i = 0; i < x.length; i++) out[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
            return out;
        }
        byte[] b = new byte[(int) t.ggmlTypeFor(cols).bytesFor(x.length)];
        if (t == TensorDType.Q8_0) {
            GgmlBlocks.quantizeQ8_0(x, 0, x.length, b, 0);
            GgmlBlocks.dequantizeQ8_0(b, 0, out, 0, x.length);
        } else {
            GgmlBlocks.quantizeQ4_0(x, 0, x.length, b, 0);
            GgmlBlocks.dequantizeQ4_0(b, 0, out, 0, x.length);
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"Q8_0,false", "Q8_0,true", "Q4_0,false", "Q4_0,true"})
    void quantizedGgufHoldsGgmlBlocksAndReadsBack(TensorDType t, boolean shared, @TempDir Path dir) throws Exception {
        LlamaConfig c = config(shared);
        LlamaWeights w = TinyModels.random(c, 11);
        Path out = dir.resolve("m.gguf");
        ModelWriter.write(w, TinyModels.tokenizer(300, 2), null, out, ModelFormat.GGUF, t);

        GgmlType q = t == TensorDType.Q8_0 ? GgmlType.Q8_0 : GgmlType.Q4_0;
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.metadata().get("general.file_type").asLong()).isEqualTo(t == TensorDType.Q8_0 ? 7 : 2);
            assertThat(f.tensor("token_embd.weight").type()).isEqualTo(q);
            assertThat(f.tensor("blk.1.attn_q.weight").type()).isEqualTo(q);
            assertThat(f.tensor("blk.1.ffn_gate.weight").type()).isEqualTo(q);
            assertThat(f.tensor("blk.1.ffn_down.weight").type()).isEqualTo(GgmlType.F16); // rows of 80 values
            assertThat(f.tensor("blk.1.attn_norm.weight").type()).isEqualTo(GgmlType.F32);
            if (!shared) assertThat(f.tensor("output.weight").type()).isEqualTo(q);
            // The bytes are exactly ggml's blocks of the floats.
            float[] wq = w.linear(new LayerId(1, LayerKind.WQ)).data();
            byte[] want = new byte[(int) q.bytesFor(wq.length)];
            if (q == GgmlType.Q8_0) GgmlBlocks.quantizeQ8_0(wq, 0, wq.length, want, 0);
            else GgmlBlocks.quantizeQ4_0(wq, 0, wq.length, want, 0);
            assertThat(f.data(f.tensor("blk.1.attn_q.weight")).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).isEqualTo(want);
        }

        LlamaWeights back = ModelLoader.loadWeights(out);
        for (LayerId id : LayerId.all(c)) {
            Matrix m = w.linear(id);
            assertThat(back.linear(id).data()).as(id.name()).isEqualTo(stored(m.data(), m.cols(), t));
        }
        assertThat(back.tokenEmbedding().data()).isEqualTo(stored(w.tokenEmbedding().data(), c.dim(), t));
        assertThat(back.classifier().data()).isEqualTo(stored(w.classifier().data(), c.dim(), t));
        assertThat(back.finalNorm()).isEqualTo(w.finalNorm());

        // Inference keeps Q8_0 weights (and the classifier) in their blocks: same values, other summation order.
        LlamaWeights inf = ModelLoader.loadForInference(out, null).weights();
        LayerId wq = new LayerId(0, LayerKind.WQ), down = new LayerId(0, LayerKind.W2);
        if (t == TensorDType.Q8_0) {
            assertThat(inf.weight(wq)).isInstanceOf(Q8Matrix.class);
            assertThat(inf.head()).isInstanceOf(Q8Matrix.class);
            assertThat(((Q8Matrix) inf.weight(wq)).toDense().data()).isEqualTo(back.linear(wq).data());
        } else {
            assertThat(inf.weight(wq)).isInstanceOf(Matrix.class);
        }
        assertThat(inf.weight(down)).isInstanceOf(Matrix.class);
        int[] tokens = {1, 17, 250, 3, 99, 42, 7, 123};
        Matrix a = LlamaForward.logits(back, tokens), b = LlamaForward.logits(inf, tokens);
        for (int i = 0; i < a.size(); i++) assertThat(b.data()[i]).isCloseTo(a.data()[i], within(1e-4f * (1 + Math.abs(a.data()[i]))));
    }

    @Test
    void packedGgufWithEightBitValuesRoundTrips(@TempDir Path dir) throws Exception {
        LlamaConfig c = config(false);
        LlamaWeights dense = TinyModels.random(c, 5);
        int i = 0;
        for (LayerId id : LayerId.all(c)) {
            int n = new int[]{1, 2, 3, 2, 5, 2, 7}[i++ % 7];
            dense.block(id.block()).setLinear(id.kind(), NmMasks.magnitude(dense.linear(id), n, 8));
        }
        LlamaWeights packed = dense.pack(8);
        Path out = dir.resolve("p.gguf");
        PackedGguf.write(out, packed, null, null, TensorDType.Q8_0);
        try (GgufFile f = GgufFile.open(out)) {
            GgufFile.TensorInfo v = f.tensor("blk.0.ffn_down.nm_values");
            PackedNM p = (PackedNM) packed.weight(new LayerId(0, LayerKind.W2));
            assertThat(v.type()).isEqualTo(GgmlType.Q8_0);
            assertThat(v.dims()).containsExactly((p.slotsPerRow() + 31) / 32 * 32, p.rows());
            assertThat(f.tensor("token_embd.weight").type()).isEqualTo(GgmlType.Q8_0);
        }
        LlamaWeights back = ModelLoader.loadWeights(out);
        for (LayerId id : LayerId.all(c)) {
            PackedNMQ8 want = PackedNMQ8.quantize((PackedNM) packed.weight(id));
            assertThat(back.weight(id)).as(id.name()).isInstanceOf(PackedNMQ8.class);
            PackedNMQ8 got = (PackedNMQ8) back.weight(id);
            assertThat(got.n()).isEqualTo(want.n());
            assertThat(got.quants()).as(id.name()).isEqualTo(want.quants());
            assertThat(got.scales()).as(id.name()).isEqualTo(want.scales());
            assertThat(got.index()).as(id.name()).isEqualTo(want.index());
        }
        // Writing the 8-bit model again gives the same file (no second rounding).
        Path again = dir.resolve("again.gguf");
        PackedGguf.write(again, back, null, null, TensorDType.Q8_0);
        assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(out));
        // And it runs: the dequantized model's logits.
        int[] tokens = {1, 5, 200, 33, 4};
        Matrix a = LlamaForward.logits(back.unpack(), tokens), b = LlamaForward.logits(back, tokens);
        for (int k = 0; k < a.size(); k++) assertThat(b.data()[k]).isCloseTo(a.data()[k], within(1e-4f * (1 + Math.abs(a.data()[k]))));
    }

    @Test
    void quantizedTypesAreGgufOnly(@TempDir Path dir) {
        LlamaWeights w = TinyModels.random(config(true), 1);
        assertThatThrownBy(() -> ModelWriter.write(w, null, null, dir.resolve("hf"), ModelFormat.SAFETENSORS, TensorDType.Q8_0))
                .hasMessageContaining("write gguf");
        LayerId id = new LayerId(0, LayerKind.WV);
        w.block(0).setLinear(LayerKind.WV, NmMasks.magnitude(w.linear(id), 2, 4));
        LlamaWeights packed = w.pack(4);
        assertThat(packed.weight(id)).isInstanceOf(PackedNM.class);
        assertThatThrownBy(() -> PackedGguf.write(dir.resolve("x.gguf"), packed, null, null, TensorDType.Q4_0)).hasMessageContaining("not q4_0");
    }
}
