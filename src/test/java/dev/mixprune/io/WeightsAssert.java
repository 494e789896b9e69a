package dev.mixprune.io;

import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaWeights;

import static org.assertj.core.api.Assertions.assertThat;

/** Compares every tensor of two models bit for bit (or within a tolerance). */
final class WeightsAssert {
    private WeightsAssert() {}

    static void bitExact(LlamaWeights a, LlamaWeights b) {
        assertThat(b.config().withSeqLen(1)).isEqualTo(a.config().withSeqLen(1));
        same("token_embd", a.tokenEmbedding().data(), b.tokenEmbedding().data());
        same("classifier", a.classifier().data(), b.classifier().data());
        same("final norm", a.finalNorm(), b.finalNorm());
        for (int l = 0; l < a.config().nLayers(); l++) {
            same("blk." + l + ".attn_norm", a.block(l).attNorm(), b.block(l).attNorm());
            same("blk." + l + ".ffn_norm", a.block(l).ffnNorm(), b.block(l).ffnNorm());
            for (LayerKind k : LayerKind.values()) same("blk." + l + "." + k.shortName(), a.block(l).linear(k).data(), b.block(l).linear(k).data());
        }
    }

    static void same(String what, float[] x, float[] y) {
        assertThat(y.length).as(what + " length").isEqualTo(x.length);
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                throw new AssertionError(what + "[" + i + "]: " + x[i] + " vs " + y[i]);
            }
        }
    }

    /** Every value within F16 rounding: relative 2^-11 for normal halves, absolute 2^-25 below. */
    static void withinF16(LlamaWeights a, LlamaWeights b) {
        close("token_embd", a.tokenEmbedding().data(), b.tokenEmbedding().data());
        for (int l = 0; l < a.config().nLayers(); l++) {
            close("blk." + l + ".attn_norm", a.block(l).attNorm(), b.block(l).attNorm());
            for (LayerKind k : LayerKind.values()) close("blk." + l + "." + k.shortName(), a.block(l).linear(k).data(), b.block(l).linear(k).data());
        }
    }

    static void close(String what, float[] x, float[] y) {
        assertThat(y.length).isEqualTo(x.length);
        for (int i = 0; i < x.length; i++) {
            double tol = Math.max(Math.abs(x[i]) * Math.scalb(1.0, -11), Math.scalb(1.0, -25));
            if (Math.abs(x[i] - y[i]) > tol) throw new AssertionError(what + "[" + i + "]: " + x[i] + " vs " + y[i] + " beyond F16 rounding " + tol);
        }
    }
}
