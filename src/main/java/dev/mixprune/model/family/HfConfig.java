package dev.mixprune.model.family;

import dev.mixprune.BadInputException;

import java.nio.file.Path;
import java.util.Map;

/**
 * An HF {@code config.json} as read (plain JSON values: Integer/Long, Double, String, Boolean,
 * List, Map, null) with typed accessors whose errors name the file and the field.
 */
public record HfConfig(Path file, Map<String, Object> values) {

    public boolean has(String key) { return values.get(key) != null; }

    public Object raw(String key) { return values.get(key); }

    /** A positive int; {@code dflt < 0} means required. */
    public int positiveInt(String key, int dflt) {
        Object v = values.get(key);
        if (v == null) {
            if (dflt >= 0) return dflt;
            throw bad("missing field " + key);
        }
        if (!(v instanceof Integer i) || i <= 0) throw bad("field " + key + ": expected a positive integer, found " + v);
        return i;
    }

    public int positiveInt(String key) { return positiveInt(key, -1); }

    public float number(String key, float dflt) {
        Object v = values.get(key);
        if (v == null) return dflt;
        if (!(v instanceof Number n)) throw bad("field " + key + ": expected a number, found " + v);
        return n.floatValue();
    }

    public boolean bool(String key, boolean dflt) {
        Object v = values.get(key);
        if (v == null) return dflt;
        if (!(v instanceof Boolean b)) throw bad("field " + key + ": expected true or false, found " + v);
        return b;
    }

    public String string(String key, String dflt) {
        Object v = values.get(key);
        if (v == null) return dflt;
        if (!(v instanceof String s)) throw bad("field " + key + ": expected a string, found " + v);
        return s;
    }

    /** A JSON object field (null when absent or null). */
    @SuppressWarnings("unchecked")
    public Map<String, Object> object(String key) {
        Object v = values.get(key);
        if (v == null) return null;
        if (!(v instanceof Map<?, ?> m)) throw bad("field " + key + ": expected an object, found " + v);
        return (Map<String, Object>) m;
    }

    /** Bad input naming this file. */
    public BadInputException bad(String message) { return BadInputException.in(file, message); }
}
