package dev.mixprune.model;

/**
 * The four distinct inputs of a block's linear layers (docs/algorithms.md, preamble):
 * wq/wk/wv read RMSNorm1(x); wo reads the attention output; w1/w3 read RMSNorm2(h); w2 reads
 * silu(w1 b) * (w3 b).
 */
public enum InputGroup { ATTN_IN, ATTN_OUT, FFN_IN, FFN_MID }
