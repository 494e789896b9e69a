package dev.mixprune.model.family;

import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.RopeScaling;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * RoPE base and scaling in an HF config.json: {@code rope_theta} + {@code rope_scaling}
 * ({@code {"rope_type" | "type": "linear" | "llama3" | "default", ...}}), or transformers 5's
 * {@code rope_parameters} (the same keys, rope_theta inside). linear and llama3 are supported;
 * yarn, dynamic, longrope and anything else are refused with the file and field named.
 */
public final class HfRope {
    private HfRope() {}

    /** Base and scaling of a config. */
    public record Rope(float theta, RopeScaling scaling) {}

    public static Rope read(HfConfig cfg) {
        String field = cfg.has("rope_parameters") ? "rope_parameters" : "rope_scaling";
        Map<String, Object> p = cfg.object(field);
        float theta = cfg.number("rope_theta", LlamaConfig.DEFAULT_ROPE_THETA);
        if (p == null) return new Rope(theta, RopeScaling.NONE);
        HfConfig sub = new HfConfig(cfg.file(), p);
        if (field.equals("rope_parameters") && p.get("rope_theta") != null) theta = (float) number(cfg, sub, field, "rope_theta");
        Object t = p.get("rope_type") != null ? p.get("rope_type") : p.get("type");
        String type = t == null ? "default" : String.valueOf(t).toLowerCase(Locale.ROOT);
        try {
            return switch (type) {
                case "default" -> new Rope(theta, RopeScaling.NONE);
                case "linear" -> new Rope(theta, new RopeScaling.Linear(number(cfg, sub, field, "factor")));
                case "llama3" -> new Rope(theta, new RopeScaling.Llama3(number(cfg, sub, field, "factor"), number(cfg, sub, field, "low_freq_factor"),
                        number(cfg, sub, field, "high_freq_factor"), positive(cfg, sub, field, "original_max_position_embeddings")));
                default -> throw cfg.bad("field " + field + ": rope_type \"" + t + "\" is not supported (supported: linear, llama3; yarn, dynamic and longrope are not)");
            };
        } catch (IllegalArgumentException e) {
            throw cfg.bad("field " + field + ": " + e.getMessage());
        }
    }

    private static double number(HfConfig cfg, HfConfig sub, String field, String key) {
        Object v = sub.raw(key);
        if (!(v instanceof Number n)) throw cfg.bad("field " + field + "." + key + ": expected a number, found " + v);
        return n.doubleValue();
    }

    private static int positive(HfConfig cfg, HfConfig sub, String field, String key) {
        Object v = sub.raw(key);
        if (!(v instanceof Integer i) || i <= 0) throw cfg.bad("field " + field + "." + key + ": expected a positive integer, found " + v);
        return i;
    }

    /**
     * The {@code rope_scaling} value written for a scaling: null for none, the HF object for
     * linear and llama3; explicit frequency factors (from a GGUF's rope_freqs) have no HF form.
     */
    public static Map<String, Object> toJson(RopeScaling s) {
        return switch (s) {
            case RopeScaling.None n -> null;
            case RopeScaling.Linear l -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("rope_type", "linear");
                m.put("factor", l.factor());
                yield m;
            }
            case RopeScaling.Llama3 l -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("rope_type", "llama3");
                m.put("factor", l.factor());
                m.put("low_freq_factor", l.lowFreqFactor());
                m.put("high_freq_factor", l.highFreqFactor());
                m.put("original_max_position_embeddings", l.originalMaxPositions());
                yield m;
            }
            case RopeScaling.Factors f -> throw new IllegalArgumentException("RoPE scaling given as " + f.factors().length
                    + " frequency factors (a GGUF rope_freqs tensor) has no config.json form; write GGUF instead");
        };
    }
}
