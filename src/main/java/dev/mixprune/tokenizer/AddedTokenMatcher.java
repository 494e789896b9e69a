package dev.mixprune.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text the way tokenizers' {@code AddedVocabulary} does: scanning left to
 * right, at the first position where any token starts the longest one wins (Aho-Corasick
 * leftmost-longest); {@code singleWord} matches inside a word are skipped, {@code lstrip}/{@code rstrip}
 * extend a match over adjacent whitespace. The text between matches is returned as it is.
 */
final class AddedTokenMatcher {
    /** A section of text: {@code token} null for plain text. */
    record Section(String text, AddedToken token) { }

    private static final class Node {
        final Map<Character, Node> children = new HashMap<>(4);
        AddedToken token;
    }

    private final Node root = new Node();
    private final BitSet firstChars = new BitSet(1 << 16);
    private final boolean empty;

    AddedTokenMatcher(List<AddedToken> tokens) {
        for (AddedToken t : tokens) {
            Node n = root;
            for (int i = 0; i < t.content().length(); i++) n = n.children.computeIfAbsent(t.content().charAt(i), k -> new Node());
            if (n.token == null) n.token = t; // the first entry of a duplicated content wins
            firstChars.set(t.content().charAt(0));
        }
        empty = tokens.isEmpty();
    }

    /** Splits {@code text} into plain sections and added tokens, in order; empty plain sections are left out. */
    List<Section> split(String text) {
        List<Section> out = new ArrayList<>();
        if (empty) {
            if (!text.isEmpty()) out.add(new Section(text, null));
            return out;
        }
        int plainFrom = 0;
        int i = 0;
        while (i < text.length()) {
            if (!firstChars.get(text.charAt(i))) {
                i++;
                continue;
            }
            AddedToken best = null;
            Node n = root;
            for (int j = i; j < text.length(); j++) {
                n = n.children.get(text.charAt(j));
                if (n == null) break;
                if (n.token != null) best = n.token;
            }
            if (best == null) {
                i++;
                continue;
            }
            int start = i, stop = i + best.content().length();
            if (best.singleWord() && (endsWithWordChar(text, start) || startsWithWordChar(text, stop))) {
                i = stop; // tokenizers does not retry a shorter token here either
                continue;
            }
            if (best.lstrip()) while (start > plainFrom && isWhiteSpace(text.codePointBefore(start))) start -= Character.charCount(text.codePointBefore(start));
            if (best.rstrip()) while (stop < text.length() && isWhiteSpace(text.codePointAt(stop))) stop += Character.charCount(text.codePointAt(stop));
            if (start > plainFrom) out.add(new Section(text.substring(plainFrom, start), null));
            out.add(new Section(text.substring(start, stop), best));
            plainFrom = stop;
            i = stop;
        }
        if (plainFrom < text.length()) out.add(new Section(text.substring(plainFrom), null));
        return out;
    }

    /** Rust's {@code char::is_whitespace}: Unicode White_Space. */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x9 && cp <= 0xd) || cp == 0x85 || Character.isSpaceChar(cp);
    }

    private static boolean isWordChar(int cp) { return Character.isLetterOrDigit(cp) || cp == '_'; }

    private static boolean endsWithWordChar(String s, int at) { return at > 0 && isWordChar(s.codePointBefore(at)); }

    private static boolean startsWithWordChar(String s, int at) { return at < s.length() && isWordChar(s.codePointAt(at)); }
}
