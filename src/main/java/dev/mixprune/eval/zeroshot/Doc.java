package dev.mixprune.eval.zeroshot;

import java.util.List;

/**
 * One task document ready to score: one request per choice, the gold choice, and the choice texts
 * whose character lengths normalise acc_norm (the choice without the leading delimiter space).
 *
 * @param index    position of the document in its file(s), 0-based (stable id for reports)
 * @param requests one request per choice, in the harness's choice order
 * @param gold     index of the correct choice
 * @param choices  choice texts for acc_norm lengths (same size as requests)
 */
public record Doc(int index, List<Request> requests, int gold, List<String> choices) {
    public Doc {
        requests = List.copyOf(requests);
        choices = List.copyOf(choices);
        if (requests.size() < 2) throw new IllegalArgumentException("a document needs at least 2 choices, got " + requests.size());
        if (choices.size() != requests.size()) throw new IllegalArgumentException(choices.size() + " choice texts for " + requests.size() + " requests");
        if (gold < 0 || gold >= requests.size()) throw new IllegalArgumentException("gold " + gold + " out of range 0.." + (requests.size() - 1));
    }
}
