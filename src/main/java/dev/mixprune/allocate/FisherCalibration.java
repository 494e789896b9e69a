package dev.mixprune.allocate;

import dev.mixprune.BadInputException;
import dev.mixprune.io.Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Calibration windows for the Fisher computation (protocols.md P for the token stream, C for the
 * windows). TEMPORARY seam: the shared {@code data.TokenStream} / {@code data.CalibrationWindows} /
 * {@code data.PythonRandom} are being written by another engineer; when they land, replace the
 * bodies of {@link #tokenStream} and {@link #windows} with calls to them (the tests against the
 * fixtures in {@code FisherCalibrationTest} must keep passing).
 */
public final class FisherCalibration {
    private FisherCalibration() {}

    /** The windows of protocol C: for each sample s = randint(0, N - seqlen - 1), ids[s : s+seqlen]. */
    public record Windows(int[][] windows, int[] offsets) {}

    /**
     * Documents of {@code file} tokenized by T and concatenated (protocol P): for {@code *.txt}
     * every blank-line separated paragraph, stripped, non-empty; any other file is one document.
     */
    public static int[] tokenStream(Path file, Tokenizer tok) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        String text = new String(bytes, StandardCharsets.UTF_8);
        List<String> docs = new ArrayList<>();
        if (file.getFileName().toString().endsWith(".txt")) {
            StringBuilder cur = new StringBuilder();
            for (String line : text.split("\n", -1)) {
                if (line.strip().isEmpty()) {
                    flush(cur, docs);
                } else {
                    if (!cur.isEmpty()) cur.append('\n');
                    cur.append(line);
                }
            }
            flush(cur, docs);
        } else {
            docs.add(text);
        }
        int total = 0;
        List<int[]> enc = new ArrayList<>(docs.size());
        for (String d : docs) {
            int[] ids = tok.encodeDocument(d);
            enc.add(ids);
            total += ids.length;
        }
        int[] out = new int[total];
        int pos = 0;
        for (int[] ids : enc) {
            System.arraycopy(ids, 0, out, pos, ids.length);
            pos += ids.length;
        }
        if (docs.isEmpty()) throw BadInputException.in(file, "no text (expected at least one non-empty paragraph)");
        return out;
    }

    /** SHA-256 of ids as little-endian int32 (how streams.json fingerprints a stream). */
    public static String sha256Of(int[] ids) { return FisherSensitivity.sha256(new int[][]{ids}); }

    private static void flush(StringBuilder cur, List<String> docs) {
        String s = cur.toString().strip();
        if (!s.isEmpty()) docs.add(s);
        cur.setLength(0);
    }

    /** {@code nsamples} windows of {@code seqlen} ids drawn with Python's {@code random.seed(seed)}. */
    public static Windows windows(int[] stream, int nsamples, int seqlen, long seed, String source) {
        if (seqlen < 2) throw new IllegalArgumentException("seqlen must be >= 2, got " + seqlen);
        if (nsamples < 1) throw new IllegalArgumentException("samples must be >= 1, got " + nsamples);
        if (stream.length <= seqlen) {
            throw new BadInputException(source + ": calibration text has " + stream.length + " tokens, need more than seqlen " + seqlen);
        }
        PyRandom rnd = new PyRandom(seed);
        int[][] w = new int[nsamples][];
        int[] offsets = new int[nsamples];
        for (int i = 0; i < nsamples; i++) {
            int s = rnd.randint(0, stream.length - seqlen - 1);
            offsets[i] = s;
            w[i] = java.util.Arrays.copyOfRange(stream, s, s + seqlen);
        }
        return new Windows(w, offsets);
    }

    /** CPython's random.Random for integer seeds, per algorithms.md 1.3 (MT19937, init_by_array). */
    static final class PyRandom {
        private static final int N = 624, M = 397;
        private final int[] mt = new int[N];
        private int mti;

        PyRandom(long seed) {
            long a = Math.abs(seed);
            int[] key = a >>> 32 == 0 ? new int[]{(int) a} : new int[]{(int) a, (int) (a >>> 32)};
            initGenrand(19650218);
            int i = 1, j = 0;
            for (int k = Math.max(N, key.length); k > 0; k--) {
                mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1664525)) + key[j] + j;
                i++;
                j++;
                if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
                if (j >= key.length) j = 0;
            }
            for (int k = N - 1; k > 0; k--) {
                mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1566083941)) - i;
                i++;
                if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
            }
            mt[0] = 0x80000000;
        }

        private void initGenrand(int s) {
            mt[0] = s;
            for (mti = 1; mti < N; mti++) mt[mti] = 1812433253 * (mt[mti - 1] ^ (mt[mti - 1] >>> 30)) + mti;
        }

        /** Unsigned 32-bit output in the low bits of a long. */
        long genrandUint32() {
            if (mti >= N) {
                for (int kk = 0; kk < N; kk++) {
                    int y = (mt[kk] & 0x80000000) | (mt[(kk + 1) % N] & 0x7fffffff);
                    mt[kk] = mt[(kk + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
                }
                mti = 0;
            }
            int y = mt[mti++];
            y ^= y >>> 11;
            y ^= (y << 7) & 0x9d2c5680;
            y ^= (y << 15) & 0xefc60000;
            y ^= y >>> 18;
            return y & 0xffffffffL;
        }

        int randbelow(int n) {
            int k = 32 - Integer.numberOfLeadingZeros(n);
            while (true) {
                long r = genrandUint32() >>> (32 - k);
                if (r < n) return (int) r;
            }
        }

        int randint(int a, int b) { return a + randbelow(b - a + 1); }
    }
}
