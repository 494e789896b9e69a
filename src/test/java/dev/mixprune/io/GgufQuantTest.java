package dev.mixprune.io;

import dev.mixprune.model.LlamaWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Q8_0 and BF16 tensors: patched into a written file, then read and compared with a naive decoding. */
class GgufQuantTest {

    /** The bytes of {@code w} written as an F32 GGUF, with tensor {@code name} relabelled {@code type}; its data starts at {@code dataAt}. */
    private record Retyped(byte[] bytes, int dataAt) {
        static Retyped of(Path tmp, LlamaWeights w, String name, GgmlType type) throws Exception {
            Path p = tmp.resolve("f32.gguf");
            ModelWriter.write(w, null, Map.of(), p, ModelFormat.GGUF, TensorDType.F32);
            GgufRetype.Retyped r = GgufRetype.retype(p, name, type);
            return new Retyped(r.bytes(), r.dataAt());
        }

        /** The patched bytes as a file, read back. */
        LlamaWeights read(Path tmp) throws Exception {
            Path q = tmp.resolve("patched.gguf");
            Files.write(q, bytes);
            return ModelLoader.loadWeights(q);
        }
    }

    @Test
    void q8_0IsScaleTimesQuant(@TempDir Path tmp) throws Exception {
        // 96 x 64 = 6144 values = 192 whole Q8_0 blocks.
        dev.mixprune.model.LlamaConfig c = new dev.mixprune.model.LlamaConfig(64, 96, 1, 4, 2, 300, 16, 1e-5f, 10000f, true);
        LlamaWeights w = TinyModels.random(c, 12);
        String name = "blk.0.ffn_gate.weight";
        Retyped t = Retyped.of(tmp, w, name, GgmlType.Q8_0);
        byte[] b = t.bytes();
        int at = t.dataAt();
        SplittableRandom r = new SplittableRandom(5);
        float[] expect = new float[96 * 64];
        for (int blk = 0; blk < expect.length / 32; blk++) {
            short d = Float.floatToFloat16((float) r.nextDouble(-0.1, 0.1));
            Bytes.le(b).putShort(at + 34 * blk, d);
            for (int j = 0; j < 32; j++) {
                byte q = (byte) r.nextInt(-128, 128);
                b[at + 34 * blk + 2 + j] = q;
                expect[blk * 32 + j] = (float) ((double) Float.float16ToFloat(d) * q);
            }
        }
        LlamaWeights back = t.read(tmp);
        WeightsAssert.same(name, expect, back.block(0).w1().data());
        WeightsAssert.same("untouched w3", w.block(0).w3().data(), back.block(0).w3().data());
    }

    @Test
    void bf16IsTheHighHalfOfFloat32(@TempDir Path tmp) throws Exception {
        LlamaWeights w = TinyModels.random(TinyModels.awkward(true), 13);
        String name = "blk.2.attn_v.weight";
        Retyped t = Retyped.of(tmp, w, name, GgmlType.BF16);
        byte[] b = t.bytes();
        int at = t.dataAt();
        float[] src = w.block(2).wv().data();
        float[] expect = new float[src.length];
        for (int i = 0; i < src.length; i++) {
            int bits = Float.floatToRawIntBits(src[i]) & 0xffff0000; // truncate to bf16 for the expected value
            Bytes.le(b).putShort(at + 2 * i, (short) (bits >>> 16));
            expect[i] = Float.intBitsToFloat(bits);
        }
        WeightsAssert.same(name, expect, t.read(tmp).block(2).wv().data());
    }

    @Test
    void bf16RoundingHelperRoundsToNearestEven() {
        assertThat(Dequantize.bf16ToFloat(Dequantize.floatToBf16(1.0f))).isEqualTo(1.0f);
        // 1 + 2^-8 is exactly halfway between two bf16 values: ties to the even one (1.0).
        assertThat(Dequantize.bf16ToFloat(Dequantize.floatToBf16(1f + 0x1p-8f))).isEqualTo(1.0f);
        assertThat(Dequantize.bf16ToFloat(Dequantize.floatToBf16(1f + 0x1p-8f + 0x1p-20f))).isEqualTo(1f + 0x1p-7f);
    }
}
