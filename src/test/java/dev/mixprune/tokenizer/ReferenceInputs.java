package dev.mixprune.tokenizer;

import dev.mixprune.SharedFiles;
import dev.mixprune.data.Corpus;
import dev.mixprune.data.DocumentSplit;

import java.util.ArrayList;
import java.util.List;

/**
 * The texts every tokenizer comparison runs on (issue 10, acceptance 1): the TinyStories valid.txt
 * documents and the wiki.test.raw document as protocol P reads them, wiki.test.raw's paragraphs, and
 * {@value #RANDOM} random strings (seed {@value #SEED}).
 */
public record ReferenceInputs(List<String> texts, int stories, int wikiWhole, int wikiParagraphs, int random) {
    static final int RANDOM = 2500;
    static final long SEED = 20261205L;

    public static ReferenceInputs load() {
        List<String> texts = new ArrayList<>();
        List<String> stories = Corpus.read(SharedFiles.require(SharedFiles.tinyStoriesValid())).documents();
        List<String> wiki = Corpus.read(SharedFiles.require(SharedFiles.wikiTest())).documents();
        List<String> paragraphs = Corpus.read(SharedFiles.wikiTest(), DocumentSplit.PARAGRAPHS).documents();
        List<String> random = RandomTexts.generate(RANDOM, SEED);
        texts.addAll(stories);
        texts.addAll(wiki);
        texts.addAll(paragraphs);
        texts.addAll(random);
        return new ReferenceInputs(List.copyOf(texts), stories.size(), wiki.size(), paragraphs.size(), random.size());
    }

    /** Which input text {@code i} is, for failure messages. */
    public String label(int i) {
        if (i < stories) return "valid.txt document " + i;
        i -= stories;
        if (i < wikiWhole) return "wiki.test.raw (whole file)";
        i -= wikiWhole;
        if (i < wikiParagraphs) return "wiki.test.raw paragraph " + i;
        return "random string " + (i - wikiParagraphs);
    }
}
