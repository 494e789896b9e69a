package dev.mixprune.eval.zeroshot;

import dev.mixprune.data.PythonRandom;

import java.util.ArrayList;
import java.util.List;

/**
 * Which documents a --limit run scores. lm-eval df3da98 (the harness commit Wanda names) shuffles
 * every task's documents with a fresh Random(42) and then takes the first N; v0.4 takes the first N
 * in dataset order. Without a limit, every document is scored and the order does not matter.
 */
public enum DocSelection {
    /** df3da98: Python Random(42).shuffle, then the first N (the default). */
    HARNESS_SHUFFLE,
    /** v0.4: the first N in file order. */
    FILE_ORDER;

    public List<Doc> select(List<Doc> docs, int limit) {
        if (limit <= 0 || limit >= docs.size()) return docs;
        if (this == FILE_ORDER) return List.copyOf(docs.subList(0, limit));
        List<Doc> shuffled = new ArrayList<>(docs);
        new PythonRandom(42).shuffle(shuffled);
        return List.copyOf(shuffled.subList(0, limit));
    }
}
