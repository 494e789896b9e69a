package dev.mixprune.eval.zeroshot;

import java.util.regex.Pattern;

/**
 * HellaSwag text handling of lm-evaluation-harness (docs/algorithms.md §8.2):
 * query = preprocess(activity_label + ": " + ctx_a + " " + capitalize(ctx_b)),
 * choices = preprocess(ending).
 */
public final class HellaSwagText {
    private HellaSwagText() {}

    private static final Pattern BRACKETED = Pattern.compile("\\[.*?\\]");

    /** strip; " [title]" to ". "; delete every non-greedy [..]; one left-to-right pass of "  " to " ". */
    public static String preprocess(String text) {
        String t = PyText.strip(text);
        t = t.replace(" [title]", ". ");
        t = BRACKETED.matcher(t).replaceAll("");
        t = t.replace("  ", " ");
        return t;
    }

    /** The harness query from the original HellaSwag fields. */
    public static String query(String activityLabel, String ctxA, String ctxB) {
        return preprocess(activityLabel + ": " + ctxA + " " + PyText.capitalize(ctxB));
    }

    /**
     * The harness query from the shared data's joined field {@code context = activity_label + ": " +
     * ctx_a + " " + ctx_b}, where ctx_b (the unfinished last sentence of ActivityNet items, empty
     * for most WikiHow items) is no longer marked. We take ctx_b to be the text after the last
     * sentence end ('.', '!' or '?', optionally followed by a closing quote, then a space), or
     * after the "label: " prefix when there is no sentence end; when the context itself ends with a
     * sentence end, ctx_b is empty. Only ctx_b's capitalization depends on this guess (see
     * docs/evaluation.md for how often it can matter).
     */
    public static String queryFromJoined(String context) {
        String c = PyText.strip(context);
        int split = ctxBStart(c);
        if (split < 0) return preprocess(c);
        return preprocess(c.substring(0, split) + PyText.capitalize(c.substring(split)));
    }

    /** Start index of the guessed ctx_b, or -1 when ctx_b is empty. */
    static int ctxBStart(String c) {
        if (c.isEmpty() || endsSentence(c, c.length())) return -1;
        for (int i = c.length() - 1; i > 0; i--) {
            if (c.charAt(i - 1) == ' ' && endsSentence(c, i - 1)) return i;
        }
        int colon = c.indexOf(": ");
        return colon >= 0 ? colon + 2 : -1;
    }

    /** Whether c[0, end) ends with '.', '!' or '?' (optionally followed by one closing quote). */
    private static boolean endsSentence(String c, int end) {
        if (end <= 0) return false;
        char last = c.charAt(end - 1);
        if ((last == '"' || last == '\'') && end >= 2) last = c.charAt(end - 2);
        return last == '.' || last == '!' || last == '?';
    }
}
