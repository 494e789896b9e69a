package dev.mixprune.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's reversible map from the 256 byte values to printable characters ({@code bytes_to_unicode}
 * of GPT-2's encoder.py, used by every byte-level BPE): the printable bytes '!'..'~', '¡'..'¬' and
 * '®'..'ÿ' map to themselves; the other 68 bytes (controls, space, 0x7F-0xA0, 0xAD), in ascending
 * order, map to U+0100, U+0101, ... So the space is 'Ġ' (U+0120) and '\n' is 'Ċ' (U+010A).
 */
final class ByteLevelAlphabet {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = (char) (printable ? b : next++);
        }
        Arrays.fill(CHAR_TO_BYTE, -1);
        for (int b = 0; b < 256; b++) CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
    }

    private ByteLevelAlphabet() {}

    static char charOf(int b) { return BYTE_TO_CHAR[b & 0xFF]; }

    /** The byte a character stands for, or -1 if it is not one of the 256 alphabet characters. */
    static int byteOf(char c) { return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1; }

    /** UTF-8 bytes of {@code text}, each written as its alphabet character. */
    static String encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        char[] c = new char[b.length];
        for (int i = 0; i < b.length; i++) c[i] = BYTE_TO_CHAR[b[i] & 0xFF];
        return new String(c);
    }

    /** The bytes an alphabet string stands for; null if a character is outside the alphabet. */
    static byte[] decode(String symbols) {
        byte[] out = new byte[symbols.length()];
        for (int i = 0; i < out.length; i++) {
            int b = byteOf(symbols.charAt(i));
            if (b < 0) return null;
            out[i] = (byte) b;
        }
        return out;
    }
}
