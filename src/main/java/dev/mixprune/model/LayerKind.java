package dev.mixprune.model;

import java.util.Locale;

/** The seven prunable linear layers of a decoder block, in llama2.c names. */
public enum LayerKind {
    WQ(InputGroup.ATTN_IN), WK(InputGroup.ATTN_IN), WV(InputGroup.ATTN_IN), WO(InputGroup.ATTN_OUT),
    W1(InputGroup.FFN_IN), W2(InputGroup.FFN_MID), W3(InputGroup.FFN_IN);

    private final InputGroup input;

    LayerKind(InputGroup input) { this.input = input; }

    /** Which activation this layer reads; layers of one group share calibration statistics. */
    public InputGroup input() { return input; }

    /** Lower-case llama2.c name: wq, wk, ..., w3. */
    public String shortName() { return name().toLowerCase(Locale.ROOT); }

    public static LayerKind parse(String s) {
        for (LayerKind k : values()) if (k.shortName().equals(s)) return k;
        throw new IllegalArgumentException("unknown layer kind '" + s + "', expected one of wq wk wv wo w1 w2 w3");
    }
}
