package dev.mixprune.tokenizer;

import java.text.Normalizer;
import java.util.List;
import java.util.Optional;

/**
 * The byte-level pre-tokenizers llama.cpp knows by name ({@code tokenizer.ggml.pre}), with the
 * tokenizer.json pipeline each name stands for. llama.cpp's converter names a tokenizer by hashing
 * its output on a test string; here a tokenizer.json is named by comparing its normalizer and
 * pre-tokenizer with these pipelines, and a GGUF's name is turned back into the pipeline.
 * {@code ignoreMerges} and {@code addBos} are llama.cpp's settings for the name (src/llama-vocab.cpp).
 */
public enum LlamaCppPre {
    /** Llama 3 / 3.1 / 3.2: Split on Llama 3's regex (digits in runs of up to 3), ByteLevel; BOS added. */
    LLAMA_BPE("llama-bpe", List.of("llama-bpe", "llama3", "llama-v3"), TextNormalizer.NONE,
            new PreTokenizer.Sequence(List.of(
                    PreTokenizer.Split.of(Regexes.LLAMA3, true, PreTokenizer.Behavior.ISOLATED, false),
                    new PreTokenizer.ByteLevel(false, false, true))), true, true),
    /** Qwen2 / 2.5 / 3: NFC, Split on Qwen's regex (single digits), ByteLevel; no BOS. */
    QWEN2("qwen2", List.of("qwen2", "deepseek-r1-qwen"), new TextNormalizer.UnicodeForm(Normalizer.Form.NFC),
            new PreTokenizer.Sequence(List.of(
                    PreTokenizer.Split.of(Regexes.QWEN2, true, PreTokenizer.Behavior.ISOLATED, false),
                    new PreTokenizer.ByteLevel(false, false, false))), false, false),
    /** SmolLM / SmolLM2 (StarCoder's tokenizer): single digits split off, then GPT-2's ByteLevel regex. */
    SMOLLM("smollm", List.of("smollm"), TextNormalizer.NONE,
            new PreTokenizer.Sequence(List.of(new PreTokenizer.Digits(true), new PreTokenizer.ByteLevel(false, true, true))), false, false),
    /** GPT-2: ByteLevel with its own regex. */
    GPT2("gpt-2", List.of("gpt-2"), TextNormalizer.NONE, new PreTokenizer.ByteLevel(false, true, true), false, false);

    /** The pre-tokenizer regexes of the real tokenizer.json files, as they spell them. */
    static final class Regexes {
        static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

        private Regexes() {}
    }

    private final String ggufName;
    private final List<String> aliases;
    private final TextNormalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges, addBos;

    LlamaCppPre(String ggufName, List<String> aliases, TextNormalizer normalizer, PreTokenizer preTokenizer, boolean ignoreMerges, boolean addBos) {
        this.ggufName = ggufName;
        this.aliases = aliases;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.ignoreMerges = ignoreMerges;
        this.addBos = addBos;
    }

    /** What the converter writes as {@code tokenizer.ggml.pre}. */
    public String ggufName() { return ggufName; }

    TextNormalizer normalizer() { return normalizer; }

    PreTokenizer preTokenizer() { return preTokenizer; }

    /** llama.cpp sets {@code ignore_merges} for this name (a word found whole in the vocabulary is one token). */
    boolean ignoreMerges() { return ignoreMerges; }

    /** llama.cpp's default for adding BOS when the GGUF has no {@code tokenizer.ggml.add_bos_token}. */
    boolean addBos() { return addBos; }

    /** The names llama.cpp accepts for this pipeline, comma separated (for error messages). */
    public static String known() {
        return String.join(", ", java.util.Arrays.stream(values()).flatMap(p -> p.aliases.stream()).toList());
    }

    public static Optional<LlamaCppPre> byGgufName(String name) {
        for (LlamaCppPre p : values()) if (p.aliases.contains(name)) return Optional.of(p);
        return Optional.empty();
    }

    /** The name of a tokenizer.json pipeline, if it is one of these (trim_offsets, which does not change ids, is ignored). */
    static Optional<LlamaCppPre> recognise(TextNormalizer normalizer, PreTokenizer preTokenizer) {
        for (LlamaCppPre p : values()) {
            if (p.normalizer.equals(normalizer) && signature(p.preTokenizer).equals(signature(preTokenizer))) return Optional.of(p);
        }
        return Optional.empty();
    }

    private static String signature(PreTokenizer p) {
        return switch (p) {
            case PreTokenizer.Split s -> "Split(" + s.regex() + "," + s.source() + "," + s.behavior() + "," + s.invert() + ")";
            case PreTokenizer.Digits d -> "Digits(" + d.individual() + ")";
            case PreTokenizer.ByteLevel b -> "ByteLevel(" + b.addPrefixSpace() + "," + b.useRegex() + ")";
            case PreTokenizer.Sequence s -> s.steps().size() == 1 ? signature(s.steps().getFirst())
                    : "Sequence" + s.steps().stream().map(LlamaCppPre::signature).toList();
        };
    }
}
