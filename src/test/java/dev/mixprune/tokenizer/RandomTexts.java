package dev.mixprune.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random Unicode strings (fixed seed) for comparing tokenizers: words and contractions in mixed
 * case, digit runs, whitespace runs with tabs and CR/LF, emoji (ZWJ sequences, skin tones, flags,
 * VS16), CJK, Hangul, kana, combining marks (decomposed letters), other scripts, numerics of other
 * scripts, symbols, and added-token strings (whole and cut) embedded in text.
 */
final class RandomTexts {
    private static final String[] WORDS = {"the", "The", "THE", "a", "Once", "upon", "time", "Lily", "tokenizer", "don't", "it's", "I'm", "we'VE",
            "you'RE", "they'll", "He'd", "I'LL", "'s", "'S", "'t", "'re", "'ll", "'LL", "'d", "'m", "'ve", "x'sy", "''", "'''", "hello", "world",
            "naïve", "café", "Straße", "mañana", "Ελλάδα", "Москва", "тест", "עברית", "العربية", "हिन्दी", "ไทย", "中文", "日本語", "한국어",
            "ﬁne", "Ⅻ", "½", "x²", "３", "٣٤٥", "०१२", "1,234.56", "3.14", "1e-5", "0x1F", "v2.0", "---", "...", "!!!", "?!", "$100", "#tag", "@user",
            "http://example.com/a_b?c=d", "C++", "e.g.", "(parens)", "[brackets]", "{braces}", "\"quoted\"", "«guillemets»", "—", "–", "…",
            "\u00A0", "\u3000", "\u2003", "\u200B", "\u200D", "\t", "\r\n", "\n\n", "\r", " \n ", "\u2028", "😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "❤️",
            "🦙🦙", "✅", "🚀", "😶\u200D🌫️", "e\u0301", "a\u0308", "o\u0302\u0323", "n\u0303", "\u0301", "Å", "A\u030A", "한", "\u1100\u1161\u11A8",
            "ｶﾀｶﾅ", "ひらがな", "カタカナ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𠀀", "\uD83D\uDE00x", "ǅ", "ß", "İ", "ı", "ſ"};
    private static final String[] SPECIALS = {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>",
            "<|reserved_special_token_5|>", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<tool_call>", "</tool_call>", "<think>", "</think>",
            "<|fim_prefix|>", "<|eot_id|", "<|im_", "<|", "|>", "<tool_call", "<think></think>", "<|im_start|>user\n", "<|eot_id|><|eot_id|>"};
    private static final int[][] RANGES = {{0x20, 0x7E}, {0xA1, 0x24F}, {0x370, 0x3FF}, {0x400, 0x4FF}, {0x590, 0x5FF}, {0x600, 0x6FF},
            {0x900, 0x97F}, {0xE00, 0xE7F}, {0x1E00, 0x1EFF}, {0x2000, 0x206F}, {0x2190, 0x22FF}, {0x3040, 0x30FF}, {0x4E00, 0x9FFF},
            {0xAC00, 0xD7A3}, {0xFF00, 0xFFEF}, {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x300, 0x36F}, {0x30, 0x39}};

    private RandomTexts() {}

    static List<String> generate(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder();
            int parts = 1 + r.nextInt(i % 10 == 0 ? 60 : 14);
            for (int k = 0; k < parts; k++) {
                switch (r.nextInt(10)) {
                    case 0, 1, 2 -> sb.append(WORDS[r.nextInt(WORDS.length)]);
                    case 3 -> sb.append(" ".repeat(1 + r.nextInt(r.nextInt(4) == 0 ? 9 : 2)));
                    case 4 -> {
                        String[] ws = {" ", "\t", "\n", "\r\n", "\r", "\u00A0", "  "};
                        for (int n = 1 + r.nextInt(5); n > 0; n--) sb.append(ws[r.nextInt(ws.length)]);
                    }
                    case 5 -> {
                        for (int n = 1 + r.nextInt(12); n > 0; n--) sb.append((char) ('0' + r.nextInt(10)));
                    }
                    case 6 -> sb.append(SPECIALS[r.nextInt(SPECIALS.length)]);
                    case 7, 8 -> {
                        int[] range = RANGES[r.nextInt(RANGES.length)];
                        for (int n = 1 + r.nextInt(6); n > 0; n--) {
                            int cp = range[0] + r.nextInt(range[1] - range[0] + 1);
                            if (Character.isDefined(cp) && Character.getType(cp) != Character.SURROGATE && Character.getType(cp) != Character.PRIVATE_USE) sb.appendCodePoint(cp);
                        }
                    }
                    default -> sb.append((char) ("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".charAt(r.nextInt(32))));
                }
            }
            out.add(sb.toString());
        }
        return out;
    }
}
