package dev.mixprune.io;

import dev.mixprune.tokenizer.Vocabulary;
import dev.mixprune.tokenizer.SentencePieceTokenizer;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.tokenizer.Vocabulary;
import dev.mixprune.SharedFiles;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RoundTripTest {

    @Test
    void binToGgufToSafetensorsToBinIsBitExact(@TempDir Path tmp) throws Exception {
        LoadedModel bin = ModelLoader.load(SharedFiles.require(SharedFiles.stories260KBin()), SharedFiles.tok512());
        Path gguf = tmp.resolve("m.gguf"), hf = tmp.resolve("hf"), back = tmp.resolve("back").resolve("m.bin");
        ModelWriter.write(bin.weights(), bin.tokenizerOrNull(), bin.metadata(), gguf, ModelFormat.GGUF, TensorDType.F32);
        LoadedModel g = ModelLoader.load(gguf, null);
        WeightsAssert.bitExact(bin.weights(), g.weights());
        assertThat(g.weights().config()).isEqualTo(bin.weights().config());
        ModelWriter.write(g.weights(), g.tokenizerOrNull(), g.metadata(), hf, ModelFormat.SAFETENSORS, TensorDType.F32);
        LoadedModel h = ModelLoader.load(hf, null);
        WeightsAssert.bitExact(bin.weights(), h.weights());
        assertThat(h.weights().config()).isEqualTo(bin.weights().config());
        ModelWriter.write(h.weights(), h.tokenizerOrNull(), h.metadata(), back, ModelFormat.BIN, TensorDType.F32);
        LoadedModel b2 = ModelLoader.load(back, null);
        WeightsAssert.bitExact(bin.weights(), b2.weights());
        assertThat(b2.weights().config()).isEqualTo(bin.weights().config());
        // The vocabulary survived GGUF, tokenizer.model and tokenizer.bin.
        assertThat(vocab(b2).sameEntries(vocab(bin))).isTrue();
        assertThat(b2.tokenizerOrNull().specialTokens()).isEqualTo(bin.tokenizerOrNull().specialTokens());
        assertThat(Files.readAllBytes(back.resolveSibling("tokenizer.bin"))).isEqualTo(Files.readAllBytes(SharedFiles.tok512()));
        // The whole .bin is byte-identical to the original up to the obsolete RoPE tables (recomputed, ignored by readers).
        byte[] a = Files.readAllBytes(SharedFiles.stories260KBin()), b = Files.readAllBytes(back);
        int weightsEnd = a.length - 2 * 4 * 512 * 4;
        assertThat(b.length).isEqualTo(a.length);
        assertThat(java.util.Arrays.equals(a, 0, weightsEnd, b, 0, weightsEnd)).isTrue();
    }

    @Test
    void randomModelWithSeparateClassifierAndGqaSurvivesAllFormats(@TempDir Path tmp) throws Exception {
        for (boolean shared : new boolean[]{false, true}) {
            LlamaWeights w = TinyModels.random(TinyModels.awkward(shared), shared ? 1 : 2);
            Tokenizer v = TinyModels.tokenizer(w.config().vocabSize(), 3);
            Path gguf = tmp.resolve(shared + ".gguf"), hf = tmp.resolve("hf" + shared), bin = tmp.resolve("b" + shared).resolve("m.bin");
            ModelWriter.write(w, v, null, gguf, ModelFormat.GGUF, TensorDType.F32);
            LoadedModel g = ModelLoader.load(gguf, null);
            WeightsAssert.bitExact(w, g.weights());
            assertThat(g.weights().config()).isEqualTo(w.config());
            ModelWriter.write(g.weights(), g.tokenizerOrNull(), g.metadata(), hf, ModelFormat.SAFETENSORS, TensorDType.F32);
            assertThat(Files.exists(hf.resolve("lm_head.weight"))).isFalse();
            LoadedModel h = ModelLoader.load(hf, null);
            WeightsAssert.bitExact(w, h.weights());
            assertThat(h.weights().config()).isEqualTo(w.config());
            ModelWriter.write(h.weights(), h.tokenizerOrNull(), null, bin, ModelFormat.BIN, TensorDType.F32);
            LoadedModel b = ModelLoader.load(bin, null);
            WeightsAssert.bitExact(w, b.weights());
            assertThat(b.weights().config()).isEqualTo(w.config());
            assertThat(vocab(b).sameEntries(((SentencePieceTokenizer) v).vocabulary())).isTrue();
        }
    }

    @Test
    void ggufF16WriteReadIsWithinF16Rounding(@TempDir Path tmp) throws Exception {
        LlamaWeights w = TinyModels.random(TinyModels.awkward(false), 7);
        Path out = tmp.resolve("f16.gguf");
        ModelWriter.write(w, null, Map.of(), out, ModelFormat.GGUF, TensorDType.F16);
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.tensor("blk.0.attn_q.weight").type()).isEqualTo(GgmlType.F16);
            assertThat(f.tensor("blk.0.attn_norm.weight").type()).as("norms stay F32").isEqualTo(GgmlType.F32);
            assertThat(f.metadata().get("general.file_type").asLong()).isEqualTo(1);
            LlamaWeights r = ModelLoader.loadWeights(out);
            WeightsAssert.withinF16(w, r);
            // Exactly Java's round-to-nearest-even half conversion.
            float x = w.block(1).w2().data()[17];
            assertThat(r.block(1).w2().data()[17]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(x)));
        }
        // F16 safetensors likewise.
        Path hf = tmp.resolve("hf16");
        ModelWriter.write(w, null, null, hf, ModelFormat.SAFETENSORS, TensorDType.F16);
        WeightsAssert.withinF16(w, ModelLoader.loadWeights(hf));
    }

    @Test
    void realF16GgufPassesThroughUnchanged(@TempDir Path tmp) throws Exception {
        Path src = GgufReadTest.tinyRandom();
        LoadedModel m = ModelLoader.load(src, null);
        Path out = tmp.resolve("copy.gguf");
        ModelWriter.write(m.weights(), m.tokenizerOrNull(), m.metadata(), out, ModelFormat.GGUF, TensorDType.F16);
        try (GgufFile a = GgufFile.open(src); GgufFile b = GgufFile.open(out)) {
            // Every original key is kept with its value and type (llama.rope.freq_base and general.alignment are added).
            for (Map.Entry<String, GgufValue> e : a.metadata().entrySet()) {
                assertThat(b.metadata().get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
            }
            assertThat(b.metadata().keySet()).containsAll(a.metadata().keySet());
            // F16 -> float -> F16 is lossless: every tensor has the same bytes.
            for (GgufFile.TensorInfo t : a.tensors().values()) {
                GgufFile.TensorInfo u = b.requireTensor(t.name());
                assertThat(u.type()).isEqualTo(t.type());
                assertThat(u.dims()).isEqualTo(t.dims());
                assertThat(b.data(u).mismatch(a.data(t))).as(t.name()).isEqualTo(-1L);
            }
        }
    }

    @Test
    void stories260KGgufRewriteKeepsEveryKey(@TempDir Path tmp) throws Exception {
        LoadedModel m = ModelLoader.load(SharedFiles.stories260KGguf(), null);
        LlamaConfig c = m.weights().config();
        assertThat(c.seqLen()).isEqualTo(2048);
        Path out = tmp.resolve("s.gguf");
        ModelWriter.write(m.weights(), m.tokenizerOrNull(), m.metadata(), out, ModelFormat.GGUF, TensorDType.F32);
        try (GgufFile a = GgufFile.open(SharedFiles.stories260KGguf()); GgufFile b = GgufFile.open(out)) {
            for (Map.Entry<String, GgufValue> e : a.metadata().entrySet()) assertThat(b.metadata().get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(b.tensor("output.weight")).as("shared classifier is not duplicated").isNull();
        }
        WeightsAssert.bitExact(m.weights(), ModelLoader.loadWeights(out));
    }

    @Test
    void tokenizerFilesRoundTripByteForByte(@TempDir Path tmp) throws Exception {
        Vocabulary bin = TokenizerBin.read(SharedFiles.tok512(), 512);
        Path t = tmp.resolve("tok.bin");
        TokenizerBin.write(bin, t);
        assertThat(Files.readAllBytes(t)).isEqualTo(Files.readAllBytes(SharedFiles.tok512()));

        Path modelFile = SharedFiles.require(SharedFiles.resolve("models/stories260K/tok512.model"));
        SentencePieceModel sp = SentencePieceModel.read(modelFile);
        assertThat(sp.size()).isEqualTo(512);
        Path m = tmp.resolve("tok.model");
        sp.write(m);
        assertThat(Files.readAllBytes(m)).isEqualTo(Files.readAllBytes(modelFile));
        // tokenizer.model and tokenizer.bin describe the same vocabulary.
        assertThat(sp.toVocabulary().sameEntries(bin)).isTrue();
        assertThat(sp.toVocabulary().maxTokenLength()).isEqualTo(bin.maxTokenLength());
        // A vocabulary from tokenizer.bin written as tokenizer.model (generated specs) reads back the same.
        Path gen = tmp.resolve("gen.model");
        SentencePieceModel.fromVocabulary(bin, null).write(gen);
        assertThat(SentencePieceModel.read(gen).toVocabulary().sameEntries(bin)).isTrue();
        TokenizerBin.write(SentencePieceModel.read(gen).toVocabulary(), tmp.resolve("again.bin"));
        assertThat(Files.readAllBytes(tmp.resolve("again.bin"))).isEqualTo(Files.readAllBytes(SharedFiles.tok512()));
    }

    private static Vocabulary vocab(LoadedModel m) { return ((SentencePieceTokenizer) m.tokenizerOrNull()).vocabulary(); }
}
