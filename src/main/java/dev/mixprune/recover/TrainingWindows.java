package dev.mixprune.recover;

import dev.mixprune.data.CalibrationWindows;
import dev.mixprune.data.PythonRandom;
import dev.mixprune.data.TokenStream;

import java.util.SplittableRandom;

/**
 * The windows each training step sees, a pure function of the seed and the step (so a resumed run
 * draws exactly what the uninterrupted one drew, without saving a random state).
 * <ul>
 *   <li>global: step s trains on windows s·B .. s·B+B−1 of one long protocols.md C draw
 *       ({@code random.seed(seed)}, start = randint(0, N − seqlen − 1) per window): fresh windows
 *       every step, as long as the text allows;</li>
 *   <li>blockwise: a fixed pool of windows (protocols.md C, the first {@code pool} draws) whose
 *       activations are kept; block b's steps walk through shuffled passes over the pool, each pass a
 *       permutation drawn from (seed, b, pass).</li>
 * </ul>
 */
public final class TrainingWindows {
    private TrainingWindows() {}

    /** Global mode: the start offsets of every step's windows, drawn once (steps × batch ints). */
    public static final class Global {
        private final TokenStream stream;
        private final int batch, seqLen;
        private final int[] offsets;

        public Global(TokenStream stream, RecoverOptions o) {
            this.stream = stream;
            this.batch = o.batch();
            this.seqLen = o.seqLen();
            long n = stream.length();
            if (n < (long) seqLen + 1) {
                throw new dev.mixprune.BadInputException("calibration text: " + n + " tokens, expected at least seqlen + 1 = " + (seqLen + 1));
            }
            long count = (long) o.steps() * batch;
            if (count > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(o.steps() + " steps x " + batch + " windows are too many to draw");
            PythonRandom random = new PythonRandom(o.seed());
            offsets = new int[(int) count];
            for (int i = 0; i < offsets.length; i++) offsets[i] = (int) random.randint(0, n - seqLen - 1);
        }

        /** The windows of step {@code step} (0-based). */
        public int[][] batch(int step) {
            int[][] w = new int[batch][];
            for (int i = 0; i < batch; i++) w[i] = stream.slice(offsets[step * batch + i], seqLen);
            return w;
        }
    }

    /** Blockwise mode: the pool, and which pool windows each step of each block trains on. */
    public record Pool(CalibrationWindows windows, int batch, long seed) {
        public static Pool of(TokenStream stream, RecoverOptions o) {
            return new Pool(CalibrationWindows.sample(stream, o.poolWindows(), o.seqLen(), o.seed()), Math.min(o.batch(), o.poolWindows()), o.seed());
        }

        public int size() { return windows.nsamples(); }

        /** Indices into the pool of block {@code block}'s step {@code step} (0-based). */
        public int[] batchIndices(int block, int step) {
            int p = size();
            int[] out = new int[batch];
            int[] perm = null;
            long currentPass = -1;
            for (int i = 0; i < batch; i++) {
                long k = (long) step * batch + i;
                long pass = k / p;
                if (pass != currentPass) {
                    perm = permutation(p, seed, block, pass);
                    currentPass = pass;
                }
                out[i] = perm[(int) (k % p)];
            }
            return out;
        }

        /** Fisher-Yates over 0..n-1 from a generator seeded by (seed, block, pass). */
        static int[] permutation(int n, long seed, int block, long pass) {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + block * 0xBF58476D1CE4E5B9L + pass * 0x94D049BB133111EBL);
            int[] a = new int[n];
            for (int i = 0; i < n; i++) a[i] = i;
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = a[i];
                a[i] = a[j];
                a[j] = t;
            }
            return a;
        }
    }
}
