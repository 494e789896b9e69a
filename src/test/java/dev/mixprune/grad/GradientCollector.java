package dev.mixprune.grad;

import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.tensor.Matrix;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Test sink: keeps a copy of every gradient, by (group, layer) and (group, block, norm). */
final class GradientCollector {
    final Map<String, float[]> grads = new ConcurrentHashMap<>();

    GradientSink forBlock(int block) {
        return new GradientSink() {
            @Override public void linear(int group, LayerKind kind, Matrix gradient) {
                grads.put(group + ":" + new LayerId(block, kind).name(), gradient.data().clone());
            }

            @Override public boolean wantsNorms() { return true; }

            @Override public boolean wantsBiases() { return true; }

            @Override public void bias(int group, LayerKind kind, float[] gradient) {
                grads.put(group + ":" + new LayerId(block, kind).name() + ".bias", gradient.clone());
            }

            @Override public void norm(int group, Norm norm, float[] gradient) {
                grads.put(group + ":blk." + block + "." + (norm == Norm.ATTENTION ? "attn_norm" : "ffn_norm"), gradient.clone());
            }
        };
    }

    float[] get(int group, String name) {
        float[] g = grads.get(group + ":" + name);
        if (g == null) throw new AssertionError("no gradient " + group + ":" + name);
        return g;
    }
}
