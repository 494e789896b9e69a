package dev.mixprune.io;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Encoder/decoder per docs/protocols.md T (llama2.c run.c's greedy BPE rule).
 * This is the naive O(n^2) rule; the fast encoder must give identical ids.
 */
public class Tokenizer {
    protected final Vocabulary vocab;

    public Tokenizer(Vocabulary vocab) { this.vocab = vocab; }

    public Vocabulary vocabulary() { return vocab; }

    /** [BOS] + encode(text), the document encoding of protocols.md T. */
    public int[] encodeDocument(String text) { return encode(text, true, false); }

    public int[] encode(String text, boolean bos, boolean eos) {
        List<Integer> out = new ArrayList<>();
        if (bos) out.add(Vocabulary.BOS);
        out.addAll(NaiveBpe.encode(vocab, text));
        if (eos) out.add(Vocabulary.EOS);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Bytes of one token as printed after {@code prev} (strips the leading space after BOS; raw bytes for <0xHH>). */
    public byte[] decodeBytes(int prev, int token) {
        byte[] p = vocab.piece(token);
        int from = 0;
        if (prev == Vocabulary.BOS && p.length > 0 && p[0] == ' ') from = 1;
        if (p.length == 6 && p[0] == '<' && p[1] == '0' && p[2] == 'x' && p[5] == '>') {
            int hi = Character.digit(p[3], 16), lo = Character.digit(p[4], 16);
            if (hi >= 0 && lo >= 0) return new byte[]{(byte) (hi * 16 + lo)};
        }
        byte[] r = new byte[p.length - from];
        System.arraycopy(p, from, r, 0, r.length);
        return r;
    }

    /** Decodes a sequence whose first element is the context token before ids[1]. */
    public byte[] decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == Vocabulary.BOS || ids[i] == Vocabulary.EOS) continue;
            out.writeBytes(decodeBytes(i == 0 ? -1 : ids[i - 1], ids[i]));
        }
        return out.toByteArray();
    }

    public String decodeString(int[] ids) { return new String(decode(ids), StandardCharsets.UTF_8); }

    /** The reference rule, kept simple on purpose. */
    static final class NaiveBpe {
        static List<Integer> encode(Vocabulary vocab, String text) {
            List<Integer> tokens = new ArrayList<>();
            if (text.isEmpty()) return tokens;
            int space = vocab.idOf(" ");
            if (space >= 0) tokens.add(space);
            text.codePoints().forEach(cp -> {
                String s = new String(Character.toChars(cp));
                int id = vocab.idOf(s);
                if (id >= 0) tokens.add(id);
                else for (byte b : s.getBytes(StandardCharsets.UTF_8)) tokens.add((b & 0xff) + 3);
            });
            while (true) {
                float best = Float.NEGATIVE_INFINITY;
                int bestId = -1, bestIdx = -1;
                for (int i = 0; i + 1 < tokens.size(); i++) {
                    String merged = vocab.pieceString(tokens.get(i)) + vocab.pieceString(tokens.get(i + 1));
                    int id = vocab.idOf(merged);
                    if (id >= 0 && vocab.score(id) > best) {
                        best = vocab.score(id);
                        bestId = id;
                        bestIdx = i;
                    }
                }
                if (bestIdx < 0) break;
                tokens.set(bestIdx, bestId);
                tokens.remove(bestIdx + 1);
            }
            return tokens;
        }
    }
}
