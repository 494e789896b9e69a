package dev.mixprune.io;

import dev.mixprune.BadInputException;
import dev.mixprune.tokenizer.SpecialTokens;
import dev.mixprune.tokenizer.Vocabulary;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * SentencePiece {@code tokenizer.model}: a protobuf ModelProto of which only field 1, repeated
 * SentencePiece {1: piece (string), 2: score (float), 3: type (enum, default NORMAL = 1)}, is
 * interpreted. Every other top-level field (trainer_spec, normalizer_spec, ...) is kept as raw
 * bytes and written back unchanged, so read + write reproduces the file.
 *
 * @param otherFields top-level fields other than 1, encoded (tag + payload), in file order
 */
public record SentencePieceModel(List<String> pieces, float[] scores, int[] types, byte[] otherFields) {

    public SentencePieceModel {
        if (pieces.size() != scores.length || scores.length != types.length) throw new IllegalArgumentException("pieces, scores and types differ in length");
        pieces = List.copyOf(pieces);
    }

    public int size() { return pieces.size(); }

    public Vocabulary toVocabulary() { return Vocabulary.fromSentencePiece(pieces, scores, types); }

    /** From a vocabulary; {@code otherFields} null generates a minimal BPE trainer/normalizer spec as LLaMA's has. */
    public static SentencePieceModel fromVocabulary(Vocabulary v, byte[] otherFields) {
        List<String> p = new ArrayList<>(v.size());
        float[] s = new float[v.size()];
        int[] t = new int[v.size()];
        for (int i = 0; i < v.size(); i++) {
            p.add(v.sentencePiece(i));
            s[i] = v.score(i);
            t[i] = v.tokenType(i);
        }
        return new SentencePieceModel(p, s, t, otherFields != null ? otherFields : defaultSpecs(v.size()));
    }

    /** trainer_spec {model_type: BPE, vocab_size, byte_fallback: true}; normalizer_spec {name: identity, add_dummy_prefix: true, remove_extra_whitespaces: false}. */
    static byte[] defaultSpecs(int vocabSize) {
        ByteArrayOutputStream trainer = new ByteArrayOutputStream();
        varint(trainer, tag(3, 0)); varint(trainer, 2);
        varint(trainer, tag(4, 0)); varint(trainer, vocabSize);
        varint(trainer, tag(35, 0)); varint(trainer, 1);
        ByteArrayOutputStream norm = new ByteArrayOutputStream();
        bytesField(norm, 1, "identity".getBytes(StandardCharsets.UTF_8));
        varint(norm, tag(3, 0)); varint(norm, 1);
        varint(norm, tag(4, 0)); varint(norm, 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        bytesField(out, 2, trainer.toByteArray());
        bytesField(out, 3, norm.toByteArray());
        return out.toByteArray();
    }

    public static SentencePieceModel read(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        Proto p = new Proto(file, b, 0, b.length);
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        ByteArrayOutputStream other = new ByteArrayOutputStream();
        if (b.length == 0) throw BadInputException.at(file, 0, "ModelProto", "empty file, expected a SentencePiece model");
        while (p.pos < p.end) {
            int fieldStart = p.pos;
            long tag = p.varint("field tag");
            int field = (int) (tag >>> 3), wire = (int) (tag & 7);
            if (field == 1) {
                if (wire != 2) throw BadInputException.at(file, fieldStart, "ModelProto.pieces", "expected a length-delimited message (wire type 2), found wire type " + wire + " (not a SentencePiece model?)");
                int len = p.length("pieces[" + pieces.size() + "] length");
                Proto q = new Proto(file, b, p.pos, p.pos + len);
                p.pos += len;
                String piece = null;
                float score = 0;
                int type = Vocabulary.TYPE_NORMAL;
                while (q.pos < q.end) {
                    int at = q.pos;
                    long t = q.varint("piece field tag");
                    int f = (int) (t >>> 3), w = (int) (t & 7);
                    if (f == 1 && w == 2) piece = q.string("pieces[" + pieces.size() + "].piece");
                    else if (f == 2 && w == 5) score = q.fixed32("pieces[" + pieces.size() + "].score");
                    else if (f == 3 && w == 0) type = (int) q.varint("pieces[" + pieces.size() + "].type");
                    else q.skip(w, at, "pieces[" + pieces.size() + "] field " + f);
                }
                if (piece == null) throw BadInputException.at(file, fieldStart, "pieces[" + pieces.size() + "]", "piece string missing");
                if (type < 1 || type > 6) throw BadInputException.at(file, fieldStart, "pieces[" + pieces.size() + "].type", "expected 1..6, found " + type);
                pieces.add(piece);
                scores.add(score);
                types.add(type);
            } else {
                p.skip(wire, fieldStart, "ModelProto field " + field);
                other.write(b, fieldStart, p.pos - fieldStart);
            }
        }
        if (pieces.isEmpty()) throw BadInputException.in(file, "ModelProto has no pieces: not a SentencePiece model");
        float[] s = new float[scores.size()];
        int[] t = new int[types.size()];
        for (int i = 0; i < s.length; i++) { s[i] = scores.get(i); t[i] = types.get(i); }
        return new SentencePieceModel(pieces, s, t, other.toByteArray());
    }

    /**
     * The special ids the trainer_spec (field 2) records: unk_id (40), bos_id (41), eos_id (42),
     * pad_id (43), with SentencePiece's defaults 0, 1, 2, -1; ids outside the vocabulary or of no
     * piece become none. BOS is added to documents, as SentencePiece LLaMA tokenizers do.
     */
    public SpecialTokens trainerSpecialTokens(Path file) {
        long[] ids = {0, 1, 2, -1};
        Proto p = new Proto(file, otherFields, 0, otherFields.length);
        while (p.pos < p.end) {
            int at = p.pos;
            long tag = p.varint("field tag");
            if ((tag >>> 3) == 2 && (tag & 7) == 2) {
                int len = p.length("trainer_spec length");
                Proto t = new Proto(file, otherFields, p.pos, p.pos + len);
                p.pos += len;
                while (t.pos < t.end) {
                    int tat = t.pos;
                    long tt = t.varint("trainer_spec field tag");
                    int f = (int) (tt >>> 3), w = (int) (tt & 7);
                    if (f >= 40 && f <= 43 && w == 0) ids[f - 40] = (int) t.varint("trainer_spec field " + f); // int32: -1 is a 10-byte varint
                    else t.skip(w, tat, "trainer_spec field " + f);
                }
            } else {
                p.skip((int) (tag & 7), at, "ModelProto field " + (tag >>> 3));
            }
        }
        int[] v = new int[4];
        for (int i = 0; i < 4; i++) v[i] = ids[i] >= 0 && ids[i] < size() ? (int) ids[i] : SpecialTokens.NONE;
        return new SpecialTokens(v[1], v[2], v[0], v[3], v[1] != SpecialTokens.NONE, false, java.util.List.of());
    }

    public byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer f = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < pieces.size(); i++) {
            ByteArrayOutputStream m = new ByteArrayOutputStream();
            bytesField(m, 1, pieces.get(i).getBytes(StandardCharsets.UTF_8));
            varint(m, tag(2, 5));
            f.clear();
            f.putFloat(scores[i]);
            m.writeBytes(f.array());
            // Like protobuf, the default (NORMAL) is not written.
            if (types[i] != Vocabulary.TYPE_NORMAL) { varint(m, tag(3, 0)); varint(m, types[i]); }
            bytesField(out, 1, m.toByteArray());
        }
        out.writeBytes(otherFields);
        return out.toByteArray();
    }

    public void write(Path file) throws IOException { AtomicFiles.write(file, toBytes()); }

    private static long tag(int field, int wire) { return ((long) field << 3) | wire; }

    private static void varint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7fL) != 0) { o.write((int) ((v & 0x7f) | 0x80)); v >>>= 7; }
        o.write((int) v);
    }

    private static void bytesField(ByteArrayOutputStream o, int field, byte[] b) {
        varint(o, tag(field, 2));
        varint(o, b.length);
        o.writeBytes(b);
    }

    /** Bounds-checked protobuf reader over b[pos, end). */
    private static final class Proto {
        final Path file;
        final byte[] b;
        int pos;
        final int end;

        Proto(Path file, byte[] b, int pos, int end) { this.file = file; this.b = b; this.pos = pos; this.end = end; }

        long varint(String field) {
            int at = pos;
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) throw BadInputException.at(file, at, field, "varint runs past the end of its message (truncated file)");
                int x = b[pos++] & 0xff;
                v |= (long) (x & 0x7f) << shift;
                if (x < 0x80) return v;
            }
            throw BadInputException.at(file, at, field, "varint longer than 10 bytes (corrupt file)");
        }

        int length(String field) {
            int at = pos;
            long n = varint(field);
            if (n < 0 || n > end - pos) throw BadInputException.at(file, at, field, "length " + n + " exceeds the " + (end - pos) + " bytes left (truncated or lying length)");
            return (int) n;
        }

        String string(String field) {
            int n = length(field);
            int at = pos;
            pos += n;
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(b, at, n)).toString();
            } catch (CharacterCodingException e) {
                throw BadInputException.at(file, at, field, "not valid UTF-8");
            }
        }

        float fixed32(String field) {
            if (end - pos < 4) throw BadInputException.at(file, pos, field, "needs 4 bytes, " + (end - pos) + " left (truncated file)");
            float v = ByteBuffer.wrap(b, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
            pos += 4;
            return v;
        }

        void skip(int wire, int at, String field) {
            switch (wire) {
                case 0 -> varint(field);
                case 1 -> { if (end - pos < 8) throw BadInputException.at(file, pos, field, "truncated fixed64"); pos += 8; }
                case 2 -> {
                    int n = length(field); // not `pos += length()`: that would add to the pos read before the length's varint
                    pos += n;
                }
                case 5 -> { if (end - pos < 4) throw BadInputException.at(file, pos, field, "truncated fixed32"); pos += 4; }
                default -> throw BadInputException.at(file, at, field, "unsupported protobuf wire type " + wire + " (not a SentencePiece model?)");
            }
        }
    }
}
