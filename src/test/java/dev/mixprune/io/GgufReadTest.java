package dev.mixprune.io;

import dev.mixprune.SharedFiles;
import dev.mixprune.tokenizer.SentencePieceTokenizer;
import dev.mixprune.tokenizer.Vocabulary;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class GgufReadTest {
    static Path tinyRandom() { return SharedFiles.require(SharedFiles.resolve("models/llama-2-tiny-random/llama-2-tiny-random.gguf")); }

    @Test
    void stories260KGgufHoldsTheBinWeightsBitForBit() throws Exception {
        LlamaWeights bin = ModelLoader.loadWeights(SharedFiles.require(SharedFiles.stories260KBin()));
        LlamaWeights gguf = ModelLoader.loadWeights(SharedFiles.require(SharedFiles.stories260KGguf()));
        // The file says 2048 (converter default); we keep what it says.
        assertThat(gguf.config().seqLen()).isEqualTo(2048);
        assertThat(gguf.config().sharedClassifier()).as("output.weight equals token_embd, so shared").isTrue();
        assertThat(gguf.config().withSeqLen(512)).isEqualTo(bin.config());
        // q/k bit-equal to the .bin: GGUF stores them in the same interleaved RoPE layout.
        WeightsAssert.bitExact(bin, gguf);
    }

    @Test
    void stories260KGgufVocabularyEqualsTok512() throws Exception {
        Vocabulary bin = TokenizerBin.read(SharedFiles.tok512(), 512);
        try (GgufFile f = GgufFile.open(SharedFiles.stories260KGguf())) {
            Vocabulary g = ((SentencePieceTokenizer) GgufVocabulary.read(f, 512).orElseThrow()).vocabulary();
            for (int i = 0; i < 512; i++) {
                assertThat(g.pieceString(i)).as("piece " + i).isEqualTo(bin.pieceString(i));
                assertThat(g.score(i)).as("score " + i).isEqualTo(bin.score(i));
            }
            assertThat(g.maxTokenLength()).isEqualTo(bin.maxTokenLength());
            assertThat(g.tokenType(0)).isEqualTo(Vocabulary.TYPE_UNKNOWN);
            assertThat(g.tokenType(3)).isEqualTo(Vocabulary.TYPE_BYTE);
            // The default types derived for the .bin vocabulary agree with the file's.
            assertThat(g.sameEntries(bin)).isTrue();
        }
    }

    @Test
    void tinyRandomF16LoadsWithItsVocabulary() throws Exception {
        try (GgufFile f = GgufFile.open(tinyRandom())) {
            assertThat(f.tensor("blk.0.attn_q.weight").type()).isEqualTo(GgmlType.F16);
            LlamaWeights w = ModelLoader.loadWeights(tinyRandom());
            LlamaConfig c = w.config();
            assertThat(c.dim()).isEqualTo(8);
            assertThat(c.vocabSize()).isEqualTo(32000);
            assertThat(c.nLayers()).isEqualTo(1);
            assertThat(c.hiddenDim()).isEqualTo(32);
            assertThat(c.seqLen()).isEqualTo(4096);
            assertThat(c.sharedClassifier()).isFalse();
            // Spot check the F16 decode against the raw half bits.
            GgufFile.TensorInfo q = f.tensor("blk.0.attn_q.weight");
            short h = f.data(q).get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 2L * 13);
            assertThat(w.block(0).wq().data()[13]).isEqualTo(Float.float16ToFloat(h));
            SentencePieceTokenizer t = (SentencePieceTokenizer) GgufVocabulary.read(f, c.vocabSize()).orElseThrow();
            Vocabulary v = t.vocabulary();
            assertThat(v.size()).isEqualTo(32000);
            assertThat(v.pieceString(1)).isEqualTo("\n<s>\n");
            int the = v.idOf(" the");
            assertThat(the).isPositive();
            assertThat(v.sentencePiece(the)).isEqualTo("\u2581the");
            assertThat(t.decodeString(new int[]{1, the})).isEqualTo("the");
            assertThat(t.specialTokens().bos()).isEqualTo(1);
            assertThat(t.specialTokens().endOfGeneration()).contains(2);
        }
    }
}
