package dev.mixprune.io;

import dev.mixprune.BadInputException;
import dev.mixprune.SharedFiles;
import dev.mixprune.model.LlamaWeights;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every reader rejects bad input with a message naming the file, the field/offset and the expectation. One test per case. */
class BadInputTest {
    @TempDir Path tmp;

    static AbstractThrowableAssert<?, ? extends Throwable> rejects(ThrowingCallable call, Path file, String... fragments) {
        var a = assertThatThrownBy(call).isInstanceOf(BadInputException.class).hasMessageContaining(file.getFileName().toString());
        for (String f : fragments) a.hasMessageContaining(f);
        return a;
    }

    Path write(String name, byte[] b) throws Exception {
        Path p = tmp.resolve(name);
        Files.write(p, b);
        return p;
    }

    @Nested
    class Gguf {
        byte[] good;
        long dataStart;

        @BeforeEach
        void setUp() throws Exception {
            LlamaWeights w = TinyModels.random(TinyModels.awkward(false), 21);
            Path p = tmp.resolve("good.gguf");
            ModelWriter.write(w, TinyModels.tokenizer(300, 4), Map.of(), p, ModelFormat.GGUF, TensorDType.F32);
            good = Files.readAllBytes(p);
            try (GgufFile f = GgufFile.open(p)) { dataStart = f.dataStart(); }
        }

        @Test
        void truncatedFile() throws Exception {
            Path p = write("trunc.gguf", Arrays.copyOf(good, good.length - 1000));
            rejects(() -> ModelLoader.loadWeights(p), p, "tensor 'output.weight'", "the file has " + (good.length - 1000) + " bytes");
        }

        @Test
        void truncatedInsideTheHeader() throws Exception {
            Path p = write("trunc-header.gguf", Arrays.copyOf(good, 300));
            rejects(() -> ModelLoader.loadWeights(p), p, "byte offset", "truncated");
        }

        @Test
        void wrongMagic() throws Exception {
            byte[] b = good.clone();
            b[0] = 'X';
            Path p = write("magic.gguf", b);
            rejects(() -> ModelLoader.loadWeights(p), p, "at byte offset 0 (magic)", "expected \"GGUF\"");
        }

        @Test
        void headerInconsistentWithSize() throws Exception {
            byte[] b = good.clone();
            int at = Bytes.tensorTypeAt(b, "blk.1.attn_k.weight") + 4;
            Bytes.putLong(b, at, (long) good.length); // data offset past the end (still aligned)
            Path p = write("offset.gguf", b);
            rejects(() -> ModelLoader.loadWeights(p), p, "tensor 'blk.1.attn_k.weight'", "header inconsistent with the file size");
        }

        @Test
        void unknownTensorType() throws Exception {
            byte[] b = good.clone();
            Bytes.putInt(b, Bytes.tensorTypeAt(b, "blk.0.ffn_down.weight"), 77);
            Path p = write("type.gguf", b);
            rejects(() -> ModelLoader.loadWeights(p), p, "type of tensor 'blk.0.ffn_down.weight'", "unknown ggml tensor type 77");
        }

        @Test
        void rowLengthNotAWholeNumberOfBlocks() throws Exception {
            byte[] b = good.clone();
            Bytes.putInt(b, Bytes.tensorTypeAt(b, "blk.0.attn_q.weight"), GgmlType.Q8_0.id()); // rows of 36 values, blocks of 32
            Path p = write("blocks.gguf", b);
            rejects(() -> GgufFile.open(p), p, "type of tensor 'blk.0.attn_q.weight'", "row length 36 is not a multiple of the Q8_0 block size 32");
        }

        @Test
        void typeKnownButNotDequantizable() throws Exception {
            byte[] b = good.clone();
            // Q4_K needs 256-element blocks; token_embd has 10800 elements, so use I32 (same 4 bytes per value).
            Bytes.putInt(b, Bytes.tensorTypeAt(b, "token_embd.weight"), GgmlType.I32.id());
            Path p = write("i32.gguf", b);
            rejects(() -> ModelLoader.loadWeights(p), p, "tensor 'token_embd.weight' has type I32", "only F32, F16, BF16, Q8_0 and Q4_0");
        }

        @Test
        void missingTensor() throws Exception {
            byte[] b = good.clone();
            int end = Bytes.afterGgufString(b, "blk.2.ffn_up.weight");
            b[end - 1] = 'X'; // renames it to blk.2.ffn_up.weighX
            Path p = write("missing.gguf", b);
            rejects(() -> ModelLoader.loadWeights(p), p, "missing tensor 'blk.2.ffn_up.weight'");
        }

        @Test
        void shapeMismatch() throws Exception {
            byte[] b = good.clone();
            int dimsAt = Bytes.afterGgufString(b, "blk.1.ffn_gate.weight") + 4;
            // Swap [36, 50] to [50, 36]: same element count, wrong orientation.
            Bytes.putLong(b, dimsAt, 50);
            Bytes.putLong(b, dimsAt + 8, 36);
            Path p = write("shape.gguf", b);
            rejects(() -> ModelLoader.loadWeights(p), p, "tensor 'blk.1.ffn_gate.weight' has shape [50, 36], expected [36, 50]");
        }

        @Test
        void tokenizerModelVocabularyMismatch() throws Exception {
            LlamaWeights w = TinyModels.random(TinyModels.awkward(false), 21);
            Path p = tmp.resolve("vocab.gguf");
            // Pass through a 512-piece vocabulary for a 300-row model.
            Map<String, GgufValue> meta;
            try (GgufFile f = GgufFile.open(SharedFiles.stories260KGguf())) { meta = f.metadata(); }
            ModelWriter.write(w, null, new java.util.LinkedHashMap<String, Object>(meta), p, ModelFormat.GGUF, TensorDType.F32);
            rejects(() -> ModelLoader.load(p, null), p, "tokenizer.ggml.tokens has 512 pieces but the model's vocabulary has 300", "vocabulary mismatch");
        }

        @Test
        void explicitTokenizerVocabularyMismatch() throws Exception {
            Path p = write("model.gguf", good);
            Path tok = SharedFiles.tok512();
            rejects(() -> ModelLoader.load(p, tok), tok, "vocabulary mismatch");
        }

        @Test
        void lyingTensorCount() throws Exception {
            byte[] b = good.clone();
            Bytes.putLong(b, 8, 1L << 40);
            Path p = write("count.gguf", b);
            rejects(() -> GgufFile.open(p), p, "at byte offset 8 (tensor_count)", "value 1099511627776 is impossible");
        }

        @Test
        void lyingKvCount() throws Exception {
            byte[] b = good.clone();
            Bytes.putLong(b, 16, 1L << 40);
            Path p = write("kv.gguf", b);
            rejects(() -> GgufFile.open(p), p, "at byte offset 16 (metadata_kv_count)", "impossible");
        }

        @Test
        void lyingArrayLength() throws Exception {
            byte[] b = good.clone();
            int at = Bytes.afterGgufString(b, "tokenizer.ggml.scores") + 8; // skip value type and element type
            Bytes.putLong(b, at, 1L << 40);
            Path p = write("array.gguf", b);
            rejects(() -> GgufFile.open(p), p, "array 'tokenizer.ggml.scores' length", "1099511627776 is impossible");
        }

        @Test
        void lyingStringLength() throws Exception {
            byte[] b = good.clone();
            int at = Bytes.afterGgufString(b, "general.architecture") + 4; // skip value type: the string's length
            Bytes.putLong(b, at, 1L << 40);
            Path p = write("string.gguf", b);
            rejects(() -> GgufFile.open(p), p, "value of 'general.architecture' length", "exceeds");
        }

        @Test
        void lyingTensorDimensions() throws Exception {
            byte[] b = good.clone();
            int dimsAt = Bytes.afterGgufString(b, "token_embd.weight") + 4;
            Bytes.putLong(b, dimsAt + 8, 1L << 40);
            Path p = write("dims.gguf", b);
            rejects(() -> GgufFile.open(p), p, "tensor 'token_embd.weight'", "could hold");
        }

        @Test
        void wrongArchitecture() throws Exception {
            byte[] b = good.clone();
            int at = Bytes.afterGgufString(b, "general.architecture") + 12;
            b[at] = 'x'; // "llama" -> "xlama"
            Path p = write("arch.gguf", b);
            rejects(() -> ModelLoader.loadWeights(p), p, "general.architecture: expected one of llama", "found");
        }
    }

    @Nested
    class Safetensors {
        Path dir;
        byte[] good;

        @BeforeEach
        void setUp() throws Exception {
            dir = tmp.resolve("hf");
            ModelWriter.write(TinyModels.random(TinyModels.awkward(false), 22), TinyModels.tokenizer(300, 5), null, dir, ModelFormat.SAFETENSORS, TensorDType.F32);
            good = Files.readAllBytes(dir.resolve(HfModel.WEIGHTS));
        }

        Path weights(byte[] b) throws Exception {
            Path p = dir.resolve(HfModel.WEIGHTS);
            Files.write(p, b);
            return p;
        }

        int headerLength() { return (int) Bytes.getLong(good, 0); }

        /** Replaces text inside the JSON header, keeping its length. */
        byte[] patchHeader(String from, String to) {
            if (from.length() != to.length()) throw new IllegalArgumentException("same length needed");
            String h = new String(good, 8, headerLength(), java.nio.charset.StandardCharsets.ISO_8859_1);
            int i = h.indexOf(from);
            if (i < 0) throw new AssertionError(from + " not in header");
            byte[] b = good.clone();
            byte[] t = to.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            System.arraycopy(t, 0, b, 8 + i, t.length);
            return b;
        }

        @Test
        void truncatedFile() throws Exception {
            Path p = weights(Arrays.copyOf(good, good.length - 100));
            rejects(() -> ModelLoader.loadWeights(dir), p, "lie outside", "truncated file or header inconsistent with size");
        }

        @Test
        void wrongMagic() throws Exception {
            byte[] b = good.clone();
            b[8] = '[';
            Path p = weights(b);
            rejects(() -> ModelLoader.loadWeights(dir), p, "at byte offset 8 (header)", "not a safetensors file");
        }

        @Test
        void headerInconsistentWithSize() throws Exception {
            // The first tensor's shape claims more values than its data_offsets span.
            String h = new String(good, 8, headerLength(), java.nio.charset.StandardCharsets.ISO_8859_1);
            String shape = "\"shape\":[300,36]";
            if (!h.contains(shape)) throw new AssertionError(h.substring(0, 200));
            Path p = weights(patchHeader(shape, "\"shape\":[300,37]"));
            rejects(() -> ModelLoader.loadWeights(dir), p, "model.embed_tokens.weight", "header inconsistent");
        }

        @Test
        void unknownTensorType() throws Exception {
            Path p = weights(patchHeader("\"dtype\":\"F32\"", "\"dtype\":\"Q32\""));
            rejects(() -> ModelLoader.loadWeights(dir), p, "unknown dtype 'Q32'");
        }

        @Test
        void unsupportedButKnownType() throws Exception {
            Path p = weights(patchHeader("\"dtype\":\"F32\"", "\"dtype\":\"I32\""));
            rejects(() -> ModelLoader.loadWeights(dir), p, "has dtype I32", "only F32, F16 and BF16");
        }

        @Test
        void missingTensor() throws Exception {
            weights(patchHeader("model.norm.weight", "model.norm.weighX"));
            rejects(() -> ModelLoader.loadWeights(dir), dir, "missing tensor 'model.norm.weight'");
        }

        @Test
        void shapeMismatch() throws Exception {
            Path p = weights(patchHeader("\"shape\":[300,36]", "\"shape\":[36,300]"));
            rejects(() -> ModelLoader.loadWeights(dir), p, "tensor 'model.embed_tokens.weight' has shape [36, 300], expected [300, 36]");
        }

        @Test
        void configShapeMismatch() throws Exception {
            Path cfg = dir.resolve(HfModel.CONFIG);
            Files.writeString(cfg, Files.readString(cfg).replace("\"intermediate_size\" : 50", "\"intermediate_size\" : 52"));
            rejects(() -> ModelLoader.loadWeights(dir), dir.resolve(HfModel.WEIGHTS), "mlp.gate_proj.weight' has shape [50, 36], expected [52, 36]");
        }

        @Test
        void tokenizerModelVocabularyMismatch() throws Exception {
            Files.copy(SharedFiles.resolve("models/stories260K/tok512.model"), dir.resolve(HfModel.TOKENIZER), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            rejects(() -> ModelLoader.load(dir, null), dir.resolve(HfModel.TOKENIZER), "has 512 pieces but the model's vocabulary has 300", "vocabulary mismatch");
        }

        @Test
        void lyingHeaderSize() throws Exception {
            byte[] b = good.clone();
            Bytes.putLong(b, 0, 1L << 40);
            Path p = weights(b);
            rejects(() -> ModelLoader.loadWeights(dir), p, "at byte offset 0 (header size)", "1099511627776 bytes cannot fit");
        }

        @Test
        void lyingShape() throws Exception {
            String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,16]}}";
            byte[] h = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            byte[] b = new byte[8 + h.length + 16];
            Bytes.putLong(b, 0, h.length);
            System.arraycopy(h, 0, b, 8, h.length);
            Path p = write("lie.safetensors", b);
            rejects(() -> SafetensorsFile.open(p), p, "header tensor 'w'", "cannot fit in the file's 16 data bytes");
        }

        @Test
        void missingConfig() throws Exception {
            Files.delete(dir.resolve(HfModel.CONFIG));
            rejects(() -> ModelLoader.loadWeights(dir), dir, "has no config.json");
        }
    }

    @Nested
    class SentencePiece {
        byte[] good;

        @BeforeEach
        void setUp() throws Exception { good = Files.readAllBytes(SharedFiles.resolve("models/stories260K/tok512.model")); }

        @Test
        void truncatedFile() throws Exception {
            Path p = write("trunc.model", Arrays.copyOf(good, good.length - 5));
            rejects(() -> SentencePieceModel.read(p), p, "byte offset", "truncated");
        }

        @Test
        void wrongMagic() throws Exception {
            Path p = write("gguf.model", Files.readAllBytes(SharedFiles.stories260KGguf()));
            rejects(() -> SentencePieceModel.read(p), p, "byte offset 0", "not a SentencePiece model");
        }

        @Test
        void lyingLength() throws Exception {
            byte[] b = good.clone();
            // First field: tag 0x0a, then the length varint of the first piece; make it 5 bytes claiming ~2^34.
            byte[] lie = {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f};
            byte[] c = new byte[b.length + 4];
            System.arraycopy(lie, 0, c, 0, lie.length);
            System.arraycopy(b, 2, c, lie.length, b.length - 2);
            Path p = write("lie.model", c);
            rejects(() -> SentencePieceModel.read(p), p, "at byte offset 1 (pieces[0] length)", "exceeds");
        }

        @Test
        void vocabularyMismatch() throws Exception {
            Path p = write("tok.model", good);
            rejects(() -> TokenizerFiles.read(p, 1000), p, "has 512 pieces but the model's vocabulary has 1000");
        }
    }

    @Nested
    class TokenizerBinFile {
        @Test
        void truncatedFile() throws Exception {
            byte[] a = Files.readAllBytes(SharedFiles.tok512());
            Path p = write("trunc.bin", Arrays.copyOf(a, a.length - 3));
            rejects(() -> TokenizerBin.read(p, 512), p, "entry 511", "exceeds");
        }

        @Test
        void smallerVocabularyThanModel() throws Exception {
            Path p = write("tok.bin", Files.readAllBytes(SharedFiles.tok512()));
            rejects(() -> TokenizerBin.read(p, 600), p, "file ends after 512 pieces, but the model's vocabulary has 600");
        }

        @Test
        void largerVocabularyThanModel() throws Exception {
            Path p = write("tok.bin", Files.readAllBytes(SharedFiles.tok512()));
            rejects(() -> TokenizerBin.read(p, 300), p, "larger vocabulary than the model");
        }

        @Test
        void lyingMaxTokenLength() throws Exception {
            byte[] a = Files.readAllBytes(SharedFiles.tok512());
            Bytes.putInt(a, 0, 1 << 30);
            Path p = write("max.bin", a);
            rejects(() -> TokenizerBin.read(p, 512), p, "at byte offset 0 (max_token_length)");
        }
    }
}
