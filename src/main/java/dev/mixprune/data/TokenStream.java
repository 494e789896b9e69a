package dev.mixprune.data;

import dev.mixprune.tokenizer.Tokenizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * All documents of a corpus tokenized as [BOS] + encode(text) and concatenated (protocols.md P, C).
 * Immutable; {@link #sha256()} fingerprints the ids (little-endian int32) for manifests and tests.
 */
public final class TokenStream {
    private final int[] ids;
    private final int documents;

    private TokenStream(int[] ids, int documents) {
        this.ids = ids;
        this.documents = documents;
    }

    public static TokenStream of(Corpus corpus, Tokenizer tokenizer) {
        int[][] parts = new int[corpus.size()][];
        long total = 0;
        for (int d = 0; d < parts.length; d++) {
            parts[d] = tokenizer.encodeDocument(corpus.documents().get(d));
            total += parts[d].length;
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new dev.mixprune.BadInputException(corpus.source() + ": " + total + " tokens exceed the 2^31 a stream can hold");
        }
        int[] ids = new int[(int) total];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, ids, at, p.length);
            at += p.length;
        }
        return new TokenStream(ids, parts.length);
    }

    /** A stream of given ids (tests, synthetic data); {@code documents} is informational. */
    public static TokenStream ofIds(int[] ids, int documents) {
        return new TokenStream(ids.clone(), documents);
    }

    public int length() { return ids.length; }

    public int documents() { return documents; }

    public int token(int index) { return ids[index]; }

    /** Copy of ids[from, from + length). */
    public int[] slice(int from, int length) {
        if (from < 0 || length < 0 || from > ids.length - length) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + ((long) from + length) + ") of a stream of " + ids.length + " tokens");
        }
        return Arrays.copyOfRange(ids, from, from + length);
    }

    public int[] toArray() { return ids.clone(); }

    /** Lower-case hex sha256 of the ids as little-endian int32. */
    public String sha256() {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : ids) {
            if (!buf.hasRemaining()) {
                md.update(buf.flip());
                buf.clear();
            }
            buf.putInt(id);
        }
        md.update(buf.flip());
        return HexFormat.of().formatHex(md.digest());
    }

    @Override
    public String toString() { return "TokenStream[" + ids.length + " tokens, " + documents + " documents]"; }
}
