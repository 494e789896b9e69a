package dev.mixprune.allocate;

import dev.mixprune.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Token windows for the search (fitness) and its statistics, from a calibration text file:
 * blank-line separated paragraphs, each encoded as [BOS] + text (protocols.md P/C) and
 * concatenated; window starts drawn with a seeded {@link Rng}. (Protocol C draws calibration
 * windows with Python's MT19937; the search's own windows need no parity.)
 */
public final class FitnessWindows {
    private FitnessWindows() {}

    /** The calibration text's token stream per protocols.md P/C (data.Corpus documents, [BOS]+encode each). */
    public static int[] tokenize(Path textFile, Tokenizer tok) throws IOException {
        return dev.mixprune.data.TokenStream.of(dev.mixprune.data.Corpus.read(textFile), tok).toArray();
    }

    /** {@code count} windows of {@code len} tokens starting at uniformly random offsets. */
    public static List<int[]> sample(int[] stream, int count, int len, long seed) {
        if (stream.length < len + 1) {
            throw new dev.mixprune.BadInputException("calibration text has " + stream.length + " tokens, fewer than one window of " + len);
        }
        Rng rng = new Rng(seed);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int s = rng.nextInt(stream.length - len);
            out.add(java.util.Arrays.copyOfRange(stream, s, s + len));
        }
        return out;
    }
}
