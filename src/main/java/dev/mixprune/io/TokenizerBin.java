package dev.mixprune.io;

import dev.mixprune.BadInputException;
import dev.mixprune.tokenizer.SentencePieceTokenizer;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.tokenizer.Vocabulary;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** llama2.c {@code tokenizer.bin}: int32 max_token_length, then per id: f32 score, i32 length, bytes. */
public final class TokenizerBin {
    private TokenizerBin() {}

    /** Reads exactly {@code vocabSize} entries (the count is not stored in the file). */
    public static Vocabulary read(Path file, int vocabSize) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (all.length < 4) throw BadInputException.at(file, 0, "max_token_length", "file has " + all.length + " bytes, expected at least 4");
        int maxLen = bb.getInt();
        if (maxLen <= 0 || maxLen > 1 << 16) throw BadInputException.at(file, 0, "max_token_length", "value " + maxLen + " is not a plausible piece length");
        List<byte[]> pieces = new ArrayList<>(vocabSize);
        float[] scores = new float[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            long at = bb.position();
            if (bb.remaining() < 8) {
                throw BadInputException.at(file, at, "entry " + i, "file ends after " + i + " pieces, but the model's vocabulary has " + vocabSize
                        + " (tokenizer/model vocabulary mismatch or truncated file)");
            }
            scores[i] = bb.getFloat();
            int len = bb.getInt();
            if (len < 0 || len > bb.remaining()) {
                throw BadInputException.at(file, at + 4, "entry " + i + " length", "length " + len + " exceeds the " + bb.remaining() + " bytes left");
            }
            byte[] p = new byte[len];
            bb.get(p);
            pieces.add(p);
        }
        if (bb.remaining() != 0) {
            throw BadInputException.at(file, bb.position(), "end of vocabulary", bb.remaining() + " bytes remain after " + vocabSize
                    + " pieces: the tokenizer has a larger vocabulary than the model (tokenizer/model vocabulary mismatch)");
        }
        return new Vocabulary(pieces, scores, maxLen);
    }

    /** Reads every entry up to the end of the file (a tokenizer.bin on its own, without a model to give the count). */
    public static Vocabulary readAll(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int n = 0;
        if (all.length >= 4) {
            bb.position(4);
            while (bb.remaining() >= 8) {
                bb.position(bb.position() + 4);
                int len = bb.getInt();
                if (len < 0 || len > bb.remaining()) break;
                bb.position(bb.position() + len);
                n++;
            }
        }
        return read(file, n); // reports a damaged entry with its offset
    }

    /** Writes the tokenizer.bin of a SentencePiece tokenizer (llama2.c has no other kind). */
    public static void write(Tokenizer t, Path file) throws IOException {
        write(sentencePiece(t, file).vocabulary(), file);
    }

    /** The bytes {@link #write(Tokenizer, Path)} would write to {@code file} (refused the same way). */
    public static byte[] bytes(Tokenizer t, Path file) {
        return bytes(sentencePiece(t, file).vocabulary());
    }

    private static SentencePieceTokenizer sentencePiece(Tokenizer t, Path file) {
        if (!(t instanceof SentencePieceTokenizer sp)) {
            throw new BadInputException(file + ": a llama2.c tokenizer.bin holds SentencePiece pieces; the model's tokenizer is "
                    + t.kind().label() + " (write GGUF or an HF directory instead)");
        }
        return sp;
    }

    public static void write(Vocabulary v, Path file) throws IOException {
        AtomicFiles.write(file, bytes(v));
    }

    /** The file's bytes (known before anything is written: the output set compares them with an existing tokenizer.bin). */
    public static byte[] bytes(Vocabulary v) {
        int total = 4;
        for (int i = 0; i < v.size(); i++) total += 8 + v.piece(i).length;
        ByteBuffer bb = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        bb.putInt(v.maxTokenLength());
        for (int i = 0; i < v.size(); i++) {
            bb.putFloat(v.score(i));
            bb.putInt(v.piece(i).length);
            bb.put(v.piece(i));
        }
        return bb.array();
    }
}
